// Package pgptest gives tests a real GnuPG on the other side of the team
// key: a reporter with a key pair of their own, in a home of its own.
package pgptest

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/mailin/pgp"
)

// NeedGPG returns the gpg binary, skipping the test without it (failing it
// under DISCLOSE_E2E=1).
func NeedGPG(t testing.TB) string {
	t.Helper()
	gpg, err := exec.LookPath("gpg")
	if err != nil {
		if os.Getenv("DISCLOSE_E2E") == "1" {
			t.Fatal("DISCLOSE_E2E=1 but gpg is missing (apt-get install gnupg)")
		}
		t.Skip("gpg not installed: skipping the GnuPG interoperability test")
	}
	return gpg
}

// GnuPG is a GnuPG home of its own: the reporter on the other side.
type GnuPG struct {
	t    testing.TB
	bin  string
	Home string
	// Fingerprint is the primary key made by New.
	Fingerprint string
}

// New makes a GnuPG home with an ed25519 signing key and a cv25519
// encryption subkey for uid, and returns its public key as we parse it.
func New(t testing.TB, uid string) (*GnuPG, *pgp.PublicKey) {
	t.Helper()
	g := &GnuPG{t: t, bin: NeedGPG(t), Home: t.TempDir()}
	g.Run("", "--quick-gen-key", uid, "ed25519", "sign", "never")
	for _, line := range strings.Split(g.Run("", "--with-colons", "--list-keys", uid), "\n") {
		if strings.HasPrefix(line, "fpr:") && g.Fingerprint == "" {
			g.Fingerprint = strings.Split(line, ":")[9]
		}
	}
	g.Run("", "--quick-add-key", g.Fingerprint, "cv25519", "encr", "never")
	pub, err := pgp.ParsePublicKey(g.Run("", "--armor", "--export", g.Fingerprint), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return g, pub
}

// Run runs gpg in this home with stdin, failing the test on error.
func (g *GnuPG) Run(stdin string, args ...string) string {
	g.t.Helper()
	out, err := g.Try(stdin, args...)
	if err != nil {
		g.t.Fatalf("gpg %v: %v\n%s", args, err, out)
	}
	return out
}

// Try runs gpg in this home with stdin and returns its output and error.
func (g *GnuPG) Try(stdin string, args ...string) (string, error) {
	cmd := exec.Command(g.bin, append([]string{"--homedir", g.Home, "--batch", "--no-tty", "--pinentry-mode", "loopback", "--passphrase", "", "--trust-model", "always"}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		return stdout.String() + stderr.String(), err
	}
	return stdout.String(), nil
}
