package pgp_test

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/mailin/pgp"
)

// gnupg is a GnuPG home of its own: the reporter on the other side.
type gnupg struct {
	t    *testing.T
	bin  string
	home string
}

func newGnuPG(t *testing.T, uid string) (*gnupg, *pgp.PublicKey) {
	g := &gnupg{t: t, bin: needGPG(t), home: t.TempDir()}
	g.run("", "--quick-gen-key", uid, "ed25519", "sign", "never")
	fpr := ""
	for _, line := range strings.Split(g.run("", "--with-colons", "--list-keys", uid), "\n") {
		if strings.HasPrefix(line, "fpr:") && fpr == "" {
			fpr = strings.Split(line, ":")[9]
		}
	}
	g.run("", "--quick-add-key", fpr, "cv25519", "encr", "never")
	pub, err := pgp.ParsePublicKey(g.run("", "--armor", "--export", fpr), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return g, pub
}

func (g *gnupg) run(stdin string, args ...string) string {
	g.t.Helper()
	out, err := g.try(stdin, args...)
	if err != nil {
		g.t.Fatalf("gpg %v: %v\n%s", args, err, out)
	}
	return out
}

func (g *gnupg) try(stdin string, args ...string) (string, error) {
	cmd := exec.Command(g.bin, append([]string{"--homedir", g.home, "--batch", "--no-tty", "--pinentry-mode", "loopback", "--passphrase", "", "--trust-model", "always"}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		return stdout.String() + stderr.String(), err
	}
	return stdout.String(), nil
}

func TestGnuPGInterop(t *testing.T) {
	team := mustGenerate(t, pgp.GenerateOptions{Name: "Security", Email: "security@example.org"})
	teamPub, _ := team.ArmoredPublic()
	g, reporter := newGnuPG(t, "Reporter <reporter@example.org>")
	g.run(teamPub, "--import")
	secret := "The admin panel at /admin accepts any password."

	t.Run("SignedAndEncryptedByGnuPG", func(t *testing.T) {
		ct := g.run(secret, "--armor", "--sign", "--encrypt", "--recipient", "security@example.org")
		got, err := team.Decrypt([]byte(ct), []*pgp.PublicKey{reporter}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if string(got.Data) != secret || got.Signature != pgp.Verified {
			t.Fatalf("got %q, signature %s", got.Data, got.Signature)
		}
		unknown, err := team.Decrypt([]byte(ct), nil, time.Now())
		if err != nil || unknown.Signature != pgp.UnknownKey {
			t.Fatalf("signer not given: %v, %v", unknown, err)
		}
	})
	t.Run("EncryptedUnsignedBinary", func(t *testing.T) {
		ct := g.run(secret, "--encrypt", "--recipient", "security@example.org")
		got, err := team.Decrypt([]byte(ct), []*pgp.PublicKey{reporter}, time.Now())
		if err != nil || string(got.Data) != secret || got.Signature != pgp.Unsigned {
			t.Fatalf("got %+v, %v", got, err)
		}
	})
	t.Run("DetachedSignature", func(t *testing.T) {
		sig := g.run(secret, "--armor", "--detach-sign")
		if st, _ := pgp.VerifyDetached([]byte(secret), []byte(sig), []*pgp.PublicKey{reporter}, time.Now()); st != pgp.Verified {
			t.Fatalf("good signature: %s", st)
		}
		if st, _ := pgp.VerifyDetached([]byte(secret+"!"), []byte(sig), []*pgp.PublicKey{reporter}, time.Now()); st != pgp.BadSig {
			t.Fatalf("altered text: %s", st)
		}
		if st, _ := pgp.VerifyDetached([]byte(secret), []byte(sig), nil, time.Now()); st != pgp.UnknownKey {
			t.Fatalf("unknown signer: %s", st)
		}
	})
	t.Run("OurReplyDecryptsInGnuPG", func(t *testing.T) {
		ct, signed, err := team.EncryptTo([]byte("Thanks, fixed in 2.4.1."), []*pgp.PublicKey{reporter})
		if err != nil || !signed {
			t.Fatalf("encrypt: %v signed=%v", err, signed)
		}
		out, err := g.try(ct, "--decrypt")
		if err != nil || !strings.Contains(out, "Thanks, fixed in 2.4.1.") {
			t.Fatalf("gpg --decrypt: %v\n%s", err, out)
		}
		status, _ := g.try(ct, "--status-fd", "1", "--decrypt")
		if !strings.Contains(status, "GOODSIG") {
			t.Fatalf("gpg did not find our signature good:\n%s", status)
		}
	})
	t.Run("ErrWrongKey", func(t *testing.T) {
		other, otherPub := newGnuPG(t, "Other <other@example.org>")
		_ = otherPub
		ct := other.run(secret, "--armor", "--encrypt", "--recipient", "other@example.org")
		if _, err := team.Decrypt([]byte(ct), nil, time.Now()); !errors.Is(err, pgp.ErrNotForUs) {
			t.Fatalf("err=%v, want ErrNotForUs", err)
		}
	})
	t.Run("ErrCorrupt", func(t *testing.T) {
		ct := g.run(secret, "--armor", "--encrypt", "--recipient", "security@example.org")
		lines := strings.Split(ct, "\n")
		truncated := strings.Join(lines[:len(lines)/2], "\n")
		if _, err := team.Decrypt([]byte(truncated), nil, time.Now()); !errors.Is(err, pgp.ErrCorrupt) {
			t.Fatalf("truncated armor: %v", err)
		}
		bin := []byte(g.run(secret, "--encrypt", "--recipient", "security@example.org"))
		bin[len(bin)-5] ^= 0xff
		if _, err := team.Decrypt(bin, nil, time.Now()); !errors.Is(err, pgp.ErrCorrupt) {
			t.Fatalf("flipped byte: %v", err)
		}
	})
	t.Run("ErrLocked", func(t *testing.T) {
		locked := mustGenerate(t, pgp.GenerateOptions{Email: "s@example.org"})
		locked.Lock()
		if _, err := locked.Decrypt([]byte("x"), nil, time.Now()); !errors.Is(err, pgp.ErrLocked) {
			t.Fatalf("err=%v", err)
		}
	})
}

func TestSeal(t *testing.T) {
	k := mustGenerate(t, pgp.GenerateOptions{Email: "s@example.org"})
	k.Lock()
	sealed, err := k.Seal([]byte("marker-7f3a report text"))
	if err != nil {
		t.Fatal("sealing needs only the public key:", err)
	}
	if strings.Contains(string(sealed), "marker-7f3a") {
		t.Fatal("sealed bytes carry the plaintext")
	}
	if _, err := k.Open(sealed); !errors.Is(err, pgp.ErrLocked) {
		t.Fatalf("open while locked: %v", err)
	}
	k.Unlock([]byte("correct horse battery"))
	plain, err := k.Open(sealed)
	if err != nil || string(plain) != "marker-7f3a report text" {
		t.Fatalf("open: %q %v", plain, err)
	}
}
