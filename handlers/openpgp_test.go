package handlers_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/handlers"
	"github.com/disclose/disclose/mailin/pgp"
)

func withKey(t *testing.T, lifetime time.Duration, unlocked bool) (*browser, *pgp.TeamKey) {
	t.Helper()
	k, err := pgp.Generate(pgp.GenerateOptions{Name: "Security", Email: "security@example.org", Lifetime: lifetime}, []byte("correct horse battery"), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !unlocked {
		k.Lock()
	}
	return newPortal(t, configure(reportLimits), configure(publicHost), configure(func(c *handlers.Config) { c.TeamKey = k })).browser(t), k
}

func TestKeyPublication(t *testing.T) {
	b, k := withKey(t, 60*24*time.Hour, true)
	fpr := k.Info().Fingerprint
	t.Run("SignedSecurityTxt", func(t *testing.T) {
		body := strings.ReplaceAll(b.get("/.well-known/security.txt").Body, "\r\n", "\n") // the signed form may use CRLF, which RFC 9116 allows
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
		pg := b.get("/pgp-key.asc")
		if pg.Status != http.StatusOK || !strings.HasPrefix(pg.Body, "-----BEGIN PGP PUBLIC KEY BLOCK-----") || strings.Contains(pg.Body, "PRIVATE") {
			t.Fatalf("%d\n%s", pg.Status, pg.Body)
		}
	})
	t.Run("WKD", func(t *testing.T) {
		pg := b.get("/.well-known/openpgpkey/hu/" + pgp.WKDHash("security"))
		want, _ := k.PublicBinary()
		if pg.Status != http.StatusOK || pg.Body != string(want) {
			t.Fatalf("WKD key: %d", pg.Status)
		}
		if pg := b.get("/.well-known/openpgpkey/hu/" + pgp.WKDHash("someone-else")); pg.Status != http.StatusNotFound {
			t.Fatalf("WKD of another address: %d", pg.Status)
		}
		if pg := b.get("/.well-known/openpgpkey/policy"); pg.Status != http.StatusOK {
			t.Fatalf("WKD policy: %d", pg.Status)
		}
	})
	t.Run("FingerprintOnPages", func(t *testing.T) {
		for _, path := range []string{"/", "/report"} {
			if !strings.Contains(b.get(path).Body, fpr) {
				t.Errorf("%s does not show the key fingerprint", path)
			}
		}
	})
	t.Run("LockedKeyUnsigned", func(t *testing.T) {
		b, _ := withKey(t, 0, false)
		body := b.get("/.well-known/security.txt").Body
		if strings.Contains(body, "BEGIN PGP") || !strings.Contains(body, "Encryption: ") {
			t.Fatalf("locked key:\n%s", body)
		}
	})
	t.Run("NoKey", func(t *testing.T) {
		b := newPortal(t, configure(reportLimits), configure(publicHost)).browser(t)
		for _, path := range []string{"/pgp-key.asc", "/.well-known/openpgpkey/policy"} {
			if pg := b.get(path); pg.Status != http.StatusNotFound {
				t.Errorf("%s without a key: %d", path, pg.Status)
			}
		}
	})
}
