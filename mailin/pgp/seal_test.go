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
