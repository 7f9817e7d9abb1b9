package mailin

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin/pgp"
)

// BenchmarkParsePGP compares parsing a ~10 KB mail in the clear with the
// same mail as signed-and-encrypted PGP/MIME (decrypt, verify, parse).
func BenchmarkParsePGP(b *testing.B) {
	team, err := pgp.Generate(pgp.GenerateOptions{Email: "security@example.org"}, []byte(teamPass), time.Now())
	if err != nil {
		b.Fatal(err)
	}
	text := strings.Repeat("The admin panel at /admin accepts any password. ", 200)
	inner := "Content-Type: text/plain; charset=utf-8\r\n\r\n" + text + "\r\n"
	ct, _, err := team.EncryptTo([]byte(inner), nil)
	if err != nil {
		b.Fatal(err)
	}
	pub, _ := team.ArmoredPublic()
	p := &PGP{Key: team, Known: func(context.Context, db.KeyQuery) ([]string, error) { return []string{pub}, nil }}
	plain := crlfString(head("Clear", "b1", "Content-Type: text/plain; charset=utf-8") + "\n" + text + "\n")
	enc := crlfString(pgpMIME(head("Encrypted", "b2", ""), ct))
	for _, c := range []struct{ name, raw string }{{"Clear", plain}, {"PGPMIME", enc}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.raw)))
			for i := 0; i < b.N; i++ {
				m, err := ParsePGP(context.Background(), strings.NewReader(c.raw), DefaultLimits, p)
				if err != nil || !strings.Contains(m.Body, "admin panel") {
					b.Fatalf("parse: %v", err)
				}
			}
		})
	}
}
