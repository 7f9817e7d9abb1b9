package pgp_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/disclose/disclose/mailin/pgp"
	"github.com/disclose/disclose/mailin/pgp/pgptest"
)

// BenchmarkSeal is the cost of one sealed field (curve25519 team key).
func BenchmarkSeal(b *testing.B) {
	k, err := pgp.Generate(pgp.GenerateOptions{Email: "security@example.org"}, []byte("bench passphrase"), time.Now())
	if err != nil {
		b.Fatal(err)
	}
	k.Lock()
	data := []byte("The q parameter is concatenated into SQL.")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := k.Seal(data); err != nil {
			b.Fatal(err)
		}
	}
}

// TestSealAll: every value sealed together opens alone, and gpg-compatible
// framing is kept (Open parses each as a whole message).
func TestSealAll(t *testing.T) {
	k, err := pgp.Generate(pgp.GenerateOptions{Email: "security@example.org"}, []byte("test passphrase"), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	in := [][]byte{[]byte("title"), []byte(""), []byte("a longer description\nwith lines")}
	sealed, err := k.SealAll(in)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range sealed {
		got, err := k.Open(s)
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		if string(got) != string(in[i]) {
			t.Fatalf("open %d = %q, want %q", i, got, in[i])
		}
	}
	k.Lock()
	if _, err := k.Open(sealed[0]); err == nil {
		t.Fatal("opened while locked")
	}
}

// TestSealAllGnuPG: GnuPG holding the team key decrypts each sealed field,
// so a sealed database stays readable with standard tools.
func TestSealAllGnuPG(t *testing.T) {
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
	sealed, err := k.SealAll([][]byte{[]byte("first field"), []byte("second field")})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"first field", "second field"} {
		if got := g.Run(string(sealed[i]), "--passphrase", pass, "--decrypt"); got != want {
			t.Fatalf("gpg decrypts field %d as %q, want %q", i, got, want)
		}
	}
}

// TestOpenAll: the fields of one row open at once, whether sealed together
// (one session key) or one by one (older rows), and a damaged or foreign
// value fails the call instead of opening as something else.
func TestOpenAll(t *testing.T) {
	k, err := pgp.Generate(pgp.GenerateOptions{Email: "security@example.org"}, []byte("test passphrase"), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	together, err := k.SealAll([][]byte{[]byte("title"), []byte("a longer description\nwith lines"), []byte("")})
	if err != nil {
		t.Fatal(err)
	}
	alone, err := k.Seal([]byte("sealed alone"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := k.OpenAll(append(together, alone))
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"title", "a longer description\nwith lines", "", "sealed alone"} {
		if string(got[i]) != want {
			t.Errorf("value %d = %q, want %q", i, got[i], want)
		}
	}
	damaged := append([]byte(nil), together[1]...)
	damaged[len(damaged)-3] ^= 1
	if _, err := k.OpenAll([][]byte{together[0], damaged}); err == nil {
		t.Error("a damaged value opened")
	}
	other, _ := pgp.Generate(pgp.GenerateOptions{Email: "other@example.org"}, []byte("test passphrase"), time.Now())
	foreign, _ := other.Seal([]byte("not for us"))
	if _, err := k.OpenAll([][]byte{foreign}); err == nil {
		t.Error("a value sealed to another key opened")
	}
	k.Lock()
	if _, err := k.OpenAll(together); err == nil {
		t.Error("opened while locked")
	}
}

// TestLockWhileOpening: Lock wipes the private key in place; it waits for
// values being opened instead of zeroing the key under them (run with -race).
func TestLockWhileOpening(t *testing.T) {
	k, err := pgp.Generate(pgp.GenerateOptions{Email: "security@example.org"}, []byte("test passphrase"), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := k.SealAll([][]byte{[]byte("one"), []byte("two")})
	if err != nil {
		t.Fatal(err)
	}
	started, done := make(chan struct{}, 2), make(chan struct{}, 2)
	for i := range 2 {
		go func() {
			defer func() { done <- struct{}{} }()
			// Open until the lock refuses, telling once it is under way.
			for n := 0; n < 100_000; n++ {
				var got []byte
				var err error
				if i == 0 {
					got, err = k.Open(sealed[0])
				} else {
					var all [][]byte
					if all, err = k.OpenAll(sealed); err == nil {
						got = all[0]
					}
				}
				if err != nil {
					return
				}
				if string(got) != "one" {
					t.Errorf("opened %q", got)
				}
				if n == 0 {
					started <- struct{}{}
				}
			}
		}()
	}
	<-started
	<-started
	k.Lock()
	<-done
	<-done
}

// TestSealSessionGnuPG: values sealed in one session are each a complete
// message that GnuPG opens with the team key, as the README promises.
func TestSealSessionGnuPG(t *testing.T) {
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
	k.Lock() // sealing needs only the public key
	seal, _, done, err := k.SealSession()
	if err != nil {
		t.Fatal(err)
	}
	var sealed [][]byte
	for _, v := range []string{"report title", "acknowledgement body"} {
		s, err := seal([]byte(v))
		if err != nil {
			t.Fatal(err)
		}
		sealed = append(sealed, s)
	}
	done()
	for i, want := range []string{"report title", "acknowledgement body"} {
		if got := g.Run(string(sealed[i]), "--passphrase", pass, "--decrypt"); got != want {
			t.Fatalf("gpg decrypts value %d as %q, want %q", i, got, want)
		}
	}
}
