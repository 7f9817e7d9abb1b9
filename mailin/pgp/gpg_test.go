package pgp_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/mailin/pgp"
	"github.com/disclose/disclose/mailin/pgp/pgptest"
)

func TestGnuPGInterop(t *testing.T) {
	team := mustGenerate(t, pgp.GenerateOptions{Name: "Security", Email: "security@example.org"})
	teamPub, _ := team.ArmoredPublic()
	g, reporter := pgptest.New(t, "Reporter <reporter@example.org>")
	g.Run(teamPub, "--import")
	secret := "The admin panel at /admin accepts any password."

	t.Run("SignedAndEncryptedByGnuPG", func(t *testing.T) {
		ct := g.Run(secret, "--armor", "--sign", "--encrypt", "--recipient", "security@example.org")
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
		ct := g.Run(secret, "--encrypt", "--recipient", "security@example.org")
		got, err := team.Decrypt([]byte(ct), []*pgp.PublicKey{reporter}, time.Now())
		if err != nil || string(got.Data) != secret || got.Signature != pgp.Unsigned {
			t.Fatalf("got %+v, %v", got, err)
		}
	})
	t.Run("DetachedSignature", func(t *testing.T) {
		sig := g.Run(secret, "--armor", "--detach-sign")
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
		out, err := g.Try(ct, "--decrypt")
		if err != nil || !strings.Contains(out, "Thanks, fixed in 2.4.1.") {
			t.Fatalf("gpg --decrypt: %v\n%s", err, out)
		}
		status, _ := g.Try(ct, "--status-fd", "1", "--decrypt")
		if !strings.Contains(status, "GOODSIG") {
			t.Fatalf("gpg did not find our signature good:\n%s", status)
		}
	})
	t.Run("ErrWrongKey", func(t *testing.T) {
		other, otherPub := pgptest.New(t, "Other <other@example.org>")
		_ = otherPub
		ct := other.Run(secret, "--armor", "--encrypt", "--recipient", "other@example.org")
		if _, err := team.Decrypt([]byte(ct), nil, time.Now()); !errors.Is(err, pgp.ErrNotForUs) {
			t.Fatalf("err=%v, want ErrNotForUs", err)
		}
	})
	t.Run("ErrCorrupt", func(t *testing.T) {
		ct := g.Run(secret, "--armor", "--encrypt", "--recipient", "security@example.org")
		lines := strings.Split(ct, "\n")
		truncated := strings.Join(lines[:len(lines)/2], "\n")
		if _, err := team.Decrypt([]byte(truncated), nil, time.Now()); !errors.Is(err, pgp.ErrCorrupt) {
			t.Fatalf("truncated armor: %v", err)
		}
		bin := []byte(g.Run(secret, "--encrypt", "--recipient", "security@example.org"))
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
