package handlers_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/mailin/pgp"
)

func withKey(t *testing.T, lifetime time.Duration, unlocked bool) (*testPortal, *pgp.TeamKey) {
	t.Helper()
	k, err := pgp.Generate(pgp.GenerateOptions{Name: "Security", Email: "security@example.org", Lifetime: lifetime}, []byte("correct horse battery"), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !unlocked {
		k.Lock()
	}
	cfg := testConfig()
	cfg.TeamKey = k
	return newPortal(t, cfg), k
}

func TestKeyPublication(t *testing.T) {
	p, k := withKey(t, 60*24*time.Hour, true)
	fpr := k.Info().Fingerprint
	t.Run("SignedSecurityTxt", func(t *testing.T) {
		_, body := p.get("/.well-known/security.txt")
		body = strings.ReplaceAll(body, "\r\n", "\n") // the signed form may use CRLF, which RFC 9116 allows
		if !strings.HasPrefix(body, "-----BEGIN PGP SIGNED MESSAGE-----") || !strings.Contains(body, "-----BEGIN PGP SIGNATURE-----") {
			t.Fatalf("security.txt not signed:\n%s", body)
		}
		if !strings.Contains(body, "Encryption: https://security.example.org/pgp-key.asc\n") {
			t.Fatalf("no Encryption line:\n%s", body)
		}
		m := regexp.MustCompile(`Expires: (\S+)`).FindStringSubmatch(body)
		exp, err := time.Parse(time.RFC3339, m[1])
		if err != nil {
			t.Fatal(err)
		}
		if exp.After(k.Info().Expires) {
			t.Fatalf("security.txt expires %v, after the key (%v)", exp, k.Info().Expires)
		}
	})
	t.Run("KeyURL", func(t *testing.T) {
		resp, body := p.get("/pgp-key.asc")
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(body, "-----BEGIN PGP PUBLIC KEY BLOCK-----") || strings.Contains(body, "PRIVATE") {
			t.Fatalf("%d\n%s", resp.StatusCode, body)
		}
	})
	t.Run("WKD", func(t *testing.T) {
		resp, body := p.get("/.well-known/openpgpkey/hu/" + pgp.WKDHash("security"))
		want, _ := k.PublicBinary()
		if resp.StatusCode != http.StatusOK || body != string(want) {
			t.Fatalf("WKD key: %d", resp.StatusCode)
		}
		if resp, _ := p.get("/.well-known/openpgpkey/hu/" + pgp.WKDHash("someone-else")); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("WKD of another address: %d", resp.StatusCode)
		}
		if resp, _ := p.get("/.well-known/openpgpkey/policy"); resp.StatusCode != http.StatusOK {
			t.Fatalf("WKD policy: %d", resp.StatusCode)
		}
	})
	t.Run("FingerprintOnPages", func(t *testing.T) {
		for _, path := range []string{"/", "/report"} {
			if _, body := p.get(path); !strings.Contains(body, fpr) {
				t.Errorf("%s does not show the key fingerprint", path)
			}
		}
	})
	t.Run("LockedKeyUnsigned", func(t *testing.T) {
		p, _ := withKey(t, 0, false)
		_, body := p.get("/.well-known/security.txt")
		if strings.Contains(body, "BEGIN PGP") || !strings.Contains(body, "Encryption: ") {
			t.Fatalf("locked key:\n%s", body)
		}
	})
	t.Run("NoKey", func(t *testing.T) {
		p := newPortal(t, testConfig())
		for _, path := range []string{"/pgp-key.asc", "/.well-known/openpgpkey/policy"} {
			if resp, _ := p.get(path); resp.StatusCode != http.StatusNotFound {
				t.Errorf("%s without a key: %d", path, resp.StatusCode)
			}
		}
	})
}
