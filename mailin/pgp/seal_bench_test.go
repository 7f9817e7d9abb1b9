package pgp_test

import (
	"testing"
	"time"

	"github.com/disclose/disclose/mailin/pgp"
)

// BenchmarkOpenReport opens the five searchable fields of one sealed report
// (sealed together, as a submission seals them) one by one with Open and at
// once with OpenAll, which decrypts the shared session key once.
func BenchmarkOpenReport(b *testing.B) {
	k, err := pgp.Generate(pgp.GenerateOptions{Email: "security@example.org"}, []byte("bench passphrase"), time.Now())
	if err != nil {
		b.Fatal(err)
	}
	fields := [][]byte{[]byte("SQL injection in search"), []byte("shop.example.org"),
		[]byte("The q parameter is concatenated into SQL, so a quote ends the string literal and the rest runs as SQL."),
		[]byte("1. GET /search?q='\n2. See the syntax error."), []byte("Read the whole database.")}
	sealed, err := k.SealAll(fields)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("Open", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, s := range sealed {
				if _, err := k.Open(s); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("OpenAll", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := k.OpenAll(sealed); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("SealAll", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := k.SealAll(fields); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkSealReport seals the four text fields of a web submission in one
// session: the key agreement once, then one data packet per field.
func BenchmarkSealReport(b *testing.B) {
	k, err := pgp.Generate(pgp.GenerateOptions{Email: "security@example.org"}, []byte("bench passphrase"), time.Now())
	if err != nil {
		b.Fatal(err)
	}
	k.Lock()
	fields := [][]byte{[]byte("Stored XSS in the profile name"),
		[]byte("The display name is rendered into the profile page without escaping, so <script> runs for every visitor."),
		[]byte("1. Set the display name to <script>alert(1)</script>\n2. Open the profile page."), []byte("Session theft of any user who views the profile.")}
	b.ReportAllocs()
	for b.Loop() {
		seal, _, done, err := k.SealSession()
		if err != nil {
			b.Fatal(err)
		}
		for _, f := range fields {
			if _, err := seal(f); err != nil {
				b.Fatal(err)
			}
		}
		done()
	}
}
