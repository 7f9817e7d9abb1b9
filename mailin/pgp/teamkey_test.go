package pgp_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/mailin/pgp"
	"github.com/disclose/disclose/mailin/pgp/pgptest"
)

var now = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

func mustGenerate(t *testing.T, opt pgp.GenerateOptions) *pgp.TeamKey {
	t.Helper()
	k, err := pgp.Generate(opt, []byte("correct horse battery"), now)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestTeamKey(t *testing.T) {
	t.Run("GenerateSaveLoadUnlock", func(t *testing.T) {
		k := mustGenerate(t, pgp.GenerateOptions{Name: "Security", Email: "security@example.org", Lifetime: 365 * 24 * time.Hour})
		path := filepath.Join(t.TempDir(), pgp.KeyFile)
		if err := k.Save(path); err != nil {
			t.Fatal(err)
		}
		if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
			t.Fatalf("key file mode %v, want 0600", fi.Mode().Perm())
		}
		loaded, err := pgp.LoadTeamKey(path)
		if err != nil {
			t.Fatal(err)
		}
		if loaded.Unlocked() {
			t.Fatal("a loaded key is unlocked before any passphrase")
		}
		if _, err := loaded.SignCleartext("x"); !errors.Is(err, pgp.ErrLocked) {
			t.Fatalf("signing while locked: %v", err)
		}
		if err := loaded.Unlock([]byte("wrong")); !errors.Is(err, pgp.ErrWrongPassphrase) {
			t.Fatalf("wrong passphrase: %v", err)
		}
		if err := loaded.Unlock([]byte("correct horse battery")); err != nil {
			t.Fatal(err)
		}
		info := loaded.Info()
		if info.Fingerprint != k.Info().Fingerprint || len(info.Fingerprint) != 40 {
			t.Fatalf("fingerprint %q", info.Fingerprint)
		}
		if got, want := info.Expires, now.Add(365*24*time.Hour); !got.Equal(want) {
			t.Fatalf("expires %v, want %v", got, want)
		}
		if !info.ExpiresWithin(now.Add(340*24*time.Hour), 30*24*time.Hour) || info.ExpiresWithin(now, 30*24*time.Hour) {
			t.Fatal("ExpiresWithin is wrong")
		}
		if info.Algorithm != "ed25519/cv25519" {
			t.Fatalf("algorithm %q", info.Algorithm)
		}
	})
	t.Run("NoKeyFile", func(t *testing.T) {
		k, err := pgp.LoadTeamKey(filepath.Join(t.TempDir(), "none.asc"))
		if k != nil || err != nil {
			t.Fatalf("got %v, %v; want nil, nil", k, err)
		}
	})
	t.Run("ErrShortPassphrase", func(t *testing.T) {
		if _, err := pgp.Generate(pgp.GenerateOptions{Email: "s@example.org"}, []byte("short"), now); err == nil {
			t.Fatal("a 5-character passphrase was accepted")
		}
	})
	t.Run("ImportPublicRefused", func(t *testing.T) {
		k := mustGenerate(t, pgp.GenerateOptions{Email: "s@example.org"})
		pub, _ := k.ArmoredPublic()
		if _, err := pgp.Import(pub, []byte("correct horse battery")); err == nil {
			t.Fatal("a public key was imported as the team key")
		}
	})
}

func TestParsePublicKey(t *testing.T) {
	k := mustGenerate(t, pgp.GenerateOptions{Name: "Alice", Email: "alice@example.org"})
	pub, _ := k.ArmoredPublic()
	got, err := pgp.ParsePublicKey(pub, now)
	if err != nil {
		t.Fatal(err)
	}
	if got.Fingerprint != k.Info().Fingerprint {
		t.Fatalf("fingerprint %q, want %q", got.Fingerprint, k.Info().Fingerprint)
	}
	for name, in := range map[string]string{
		"ErrGarbage":   "hello",
		"ErrTruncated": pub[:len(pub)/2] + "\n-----END PGP PUBLIC KEY BLOCK-----",
		"ErrPrivate":   "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nxx\n-----END PGP PRIVATE KEY BLOCK-----",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := pgp.ParsePublicKey(in, now); !errors.Is(err, pgp.ErrBadKey) {
				t.Fatalf("err=%v, want ErrBadKey", err)
			}
		})
	}
}

// needGPG returns the gpg binary, skipping without it unless DISCLOSE_E2E=1.
// TestCleartextSignatureVerifiesWithGnuPG is the interop check security.txt
// relies on: GnuPG verifies what we sign.
func TestCleartextSignatureVerifiesWithGnuPG(t *testing.T) {
	gpg := pgptest.NeedGPG(t)
	k := mustGenerate(t, pgp.GenerateOptions{Name: "Security", Email: "security@example.org"})
	text := "Contact: mailto:security@example.org\nExpires: 2027-05-01T00:00:00Z\nPolicy: https://example.org/policy\n"
	signed, err := k.SignCleartext(text)
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	pub, _ := k.ArmoredPublic()
	run := func(stdin string, args ...string) (string, error) {
		cmd := exec.Command(gpg, append([]string{"--homedir", home, "--batch", "--no-tty"}, args...)...)
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := run(pub, "--import"); err != nil {
		t.Fatalf("gpg --import: %v\n%s", err, out)
	}
	if out, err := run(signed, "--verify"); err != nil || !strings.Contains(out, "Good signature") {
		t.Fatalf("gpg --verify: %v\n%s", err, out)
	}
	tampered := strings.Replace(signed, "example.org/policy", "evil.example/policy", 1)
	if out, err := run(tampered, "--verify"); err == nil {
		t.Fatalf("gpg verified a tampered security.txt:\n%s", out)
	}
}
