package pgp_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/disclose/disclose/mailin/pgp"
	"github.com/disclose/disclose/mailin/pgp/pgptest"
)

// sealStreamed seals plain through w (as SealTo or a session's sealTo
// returns it) in writes of odd sizes, as a copy from a file does.
func sealStreamed(t *testing.T, open func(io.Writer) (io.WriteCloser, error), plain []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	w, err := open(&out)
	if err != nil {
		t.Fatal(err)
	}
	for rest := plain; len(rest) > 0; {
		n := min(len(rest), 70001)
		if _, err := w.Write(rest[:n]); err != nil {
			t.Fatal(err)
		}
		rest = rest[n:]
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// TestSealStreamGnuPG: a large value sealed as a stream, alone or in a
// report's session, is one complete OpenPGP message that GnuPG holding the
// team key decrypts (the README's promise for attachments and raw mail),
// and that OpenFrom reads back as a stream; a damaged or cut message fails
// the read instead of giving other bytes.
func TestSealStreamGnuPG(t *testing.T) {
	g, _ := pgptest.New(t, "Reporter <r@example.net>")
	const pass = "gpg interop passphrase"
	k, err := pgp.Generate(pgp.GenerateOptions{Email: "security@example.org"}, []byte(pass), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "team.asc")
	if err := k.Save(file); err != nil {
		t.Fatal(err)
	}
	g.Run("", "--passphrase", pass, "--import", file)
	plain := make([]byte, 3<<20+12345)
	rand.Read(plain)
	_, sealTo, done, err := k.SealSession()
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	for name, open := range map[string]func(io.Writer) (io.WriteCloser, error){"SealTo": k.SealTo, "session": sealTo} {
		t.Run(name, func(t *testing.T) {
			sealed := sealStreamed(t, open, plain)
			if got := g.Run(string(sealed), "--passphrase", pass, "--decrypt"); got != string(plain) {
				t.Fatalf("gpg decrypts %d bytes, want the %d sealed", len(got), len(plain))
			}
			r, err := k.OpenFrom(bytes.NewReader(sealed))
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(r)
			if err != nil || !bytes.Equal(got, plain) {
				t.Fatalf("OpenFrom: %d bytes, %v", len(got), err)
			}
			damaged := append([]byte(nil), sealed...)
			damaged[len(damaged)/2] ^= 1
			for what, bad := range map[string][]byte{"damaged": damaged, "cut": sealed[:len(sealed)-100]} {
				r, err := k.OpenFrom(bytes.NewReader(bad))
				if err == nil {
					_, err = io.ReadAll(r)
				}
				if !errors.Is(err, pgp.ErrCorrupt) {
					t.Errorf("a %s message: %v, want ErrCorrupt", what, err)
				}
			}
		})
	}
}

// TestLockWaitsForStream: Lock refuses new uses at once but lets a stream
// in progress (a download) read to its end before it wipes the key.
func TestLockWaitsForStream(t *testing.T) {
	k := mustGenerate(t, pgp.GenerateOptions{Email: "security@example.org"})
	k.LockWait = time.Hour
	plain := bytes.Repeat([]byte("0123456789abcdef"), 64<<10)
	sealed, err := k.Seal(plain)
	if err != nil {
		t.Fatal(err)
	}
	r, err := k.OpenFrom(bytes.NewReader(sealed))
	if err != nil {
		t.Fatal(err)
	}
	head := make([]byte, 64<<10)
	if _, err := io.ReadFull(r, head); err != nil {
		t.Fatal(err)
	}
	begun, locked := make(chan struct{}), make(chan struct{})
	pgp.SetLockBegun(k, func() { close(begun) })
	go func() { k.Lock(); close(locked) }()
	<-begun
	if _, err := k.Open(sealed); !errors.Is(err, pgp.ErrLocked) {
		t.Errorf("a new use while locking: %v, want ErrLocked", err)
	}
	rest, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(append(head, rest...), plain) {
		t.Fatalf("the stream under way while locking: %d bytes, %v", len(head)+len(rest), err)
	}
	<-locked // the stream ended: Lock is done waiting
	if k.Unlocked() {
		t.Error("unlocked after Lock")
	}
}

// TestLockCutsStream: a stream that is never finished (a client that stops
// reading a download, a decryption whose writer hangs) holds Lock for at
// most LockWait; then the key is wiped and the stream's next read fails
// with ErrLocked.
func TestLockCutsStream(t *testing.T) {
	k := mustGenerate(t, pgp.GenerateOptions{Email: "security@example.org"})
	k.LockWait = 20 * time.Millisecond
	plain := bytes.Repeat([]byte("0123456789abcdef"), 64<<10)
	sealed, err := k.Seal(plain)
	if err != nil {
		t.Fatal(err)
	}

	r, err := k.OpenFrom(bytes.NewReader(sealed))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(r, make([]byte, 1000)); err != nil {
		t.Fatal(err)
	}
	hung := make(chan struct{})
	writing := make(chan struct{}, 1)
	decrypted := make(chan error, 1)
	go func() {
		_, err := k.DecryptTo(writerFunc(func(p []byte) (int, error) {
			select {
			case writing <- struct{}{}:
			default:
			}
			<-hung
			return len(p), nil
		}), bytes.NewReader(sealed), pgp.NewBudget(8<<20), nil, time.Now())
		decrypted <- err
	}()
	<-writing
	k.Lock() // returns after LockWait, with both streams cut
	if _, err := r.Read(make([]byte, 1000)); !errors.Is(err, pgp.ErrLocked) {
		t.Errorf("reading a cut stream: %v, want ErrLocked", err)
	}
	close(hung)
	if err := <-decrypted; !errors.Is(err, pgp.ErrLocked) {
		t.Errorf("a decryption cut by Lock: %v, want ErrLocked", err)
	}
}

type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
