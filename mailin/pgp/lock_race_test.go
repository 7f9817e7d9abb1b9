package pgp_test

import (
	"bytes"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/disclose/disclose/mailin/pgp"
)

// TestLockWhileUsing: Lock wipes the private key in place. Each operation
// that uses it (opening, decrypting a mail, a decrypting stream, signing,
// encrypting signed mail) runs over and over while the key is locked and
// unlocked again; each must either finish right or fail with ErrLocked,
// never use a key being wiped (run with -race: a use outside the lock is a
// data race with the wiping).
func TestLockWhileUsing(t *testing.T) {
	const pass = "test passphrase"
	k, err := pgp.Generate(pgp.GenerateOptions{Email: "security@example.org"}, []byte(pass), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	reporter, err := pgp.Generate(pgp.GenerateOptions{Email: "r@example.net"}, []byte(pass), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	reporterPub, _ := reporter.ArmoredPublic()
	rk, err := pgp.ParsePublicKey(reporterPub, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	plain := bytes.Repeat([]byte("sealed attachment bytes "), 10<<10) // 240 KB: a stream of many reads
	sealed, err := k.Seal(plain)
	if err != nil {
		t.Fatal(err)
	}
	small, err := k.Seal([]byte("one"))
	if err != nil {
		t.Fatal(err)
	}
	ops := []struct {
		name string
		run  func() error
	}{
		{"Open", func() error {
			got, err := k.Open(small)
			if err == nil && string(got) != "one" {
				t.Errorf("Open: %q", got)
			}
			return err
		}},
		{"Decrypt", func() error {
			got, err := k.Decrypt(sealed, nil, time.Now())
			if err == nil && !bytes.Equal(got.Data, plain) {
				t.Errorf("Decrypt: %d bytes", len(got.Data))
			}
			return err
		}},
		{"DecryptTo", func() error {
			var out bytes.Buffer
			_, err := k.DecryptTo(&out, bytes.NewReader(sealed), pgp.NewBudget(8<<20), nil, time.Now())
			if err == nil && !bytes.Equal(out.Bytes(), plain) {
				t.Errorf("DecryptTo: %d bytes", out.Len())
			}
			return err
		}},
		{"OpenFrom", func() error {
			r, err := k.OpenFrom(bytes.NewReader(sealed))
			if err != nil {
				return err
			}
			got, err := io.ReadAll(r)
			if err == nil && !bytes.Equal(got, plain) {
				t.Errorf("OpenFrom: %d bytes", len(got))
			}
			return err
		}},
		{"SignDetached", func() error {
			sig, _, err := k.SignDetached([]byte("signed mail"))
			if err == nil {
				if st, _ := pgp.VerifyDetached([]byte("signed mail"), []byte(sig), []*pgp.PublicKey{teamPublic(t, k)}, time.Now()); st != pgp.Verified {
					t.Errorf("SignDetached: signature %s", st)
				}
			}
			return err
		}},
		{"SignCleartext", func() error {
			_, err := k.SignCleartext("Contact: mailto:security@example.org\n")
			return err
		}},
		{"EncryptTo", func() error {
			_, _, err := k.EncryptTo([]byte("a reply"), []*pgp.PublicKey{rk})
			return err
		}},
	}
	for _, op := range ops {
		t.Run(op.name, func(t *testing.T) {
			if err := k.Unlock([]byte(pass)); err != nil {
				t.Fatal(err)
			}
			// The key is locked and unlocked again and again while two
			// goroutines run the operation 100 times each.
			stop, cycled := make(chan struct{}), make(chan struct{})
			go func() {
				defer close(cycled)
				for {
					select {
					case <-stop:
						return
					default:
					}
					k.Lock()
					if err := k.Unlock([]byte(pass)); err != nil {
						t.Error(err)
						return
					}
				}
			}()
			var wg sync.WaitGroup
			for range 2 {
				wg.Go(func() {
					for range 100 {
						if err := op.run(); err != nil && !errors.Is(err, pgp.ErrLocked) {
							t.Errorf("%s while locking: %v", op.name, err)
							return
						}
					}
				})
			}
			wg.Wait()
			close(stop)
			<-cycled
		})
	}
}

func teamPublic(t *testing.T, k *pgp.TeamKey) *pgp.PublicKey {
	t.Helper()
	a, err := k.ArmoredPublic()
	if err != nil {
		t.Fatal(err)
	}
	pk, err := pgp.ParsePublicKey(a, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return pk
}
