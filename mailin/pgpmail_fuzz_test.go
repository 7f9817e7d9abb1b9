package mailin

import (
	"bytes"
	"context"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/disclose/disclose/mailin/pgp"
)

// FuzzParsePGP feeds the OpenPGP paths (multipart/signed and /encrypted,
// inline blocks, key attachments, Autocrypt) arbitrary mail with an unlocked
// team key: no panic, UTF-8 text, within the limits.
func FuzzParsePGP(f *testing.F) {
	team, err := pgp.Generate(pgp.GenerateOptions{Email: "security@example.org"}, []byte(teamPass), time.Now())
	if err != nil {
		f.Fatal(err)
	}
	ct, _, _ := team.EncryptTo([]byte("Content-Type: text/plain\r\n\r\nhi\r\n"), nil)
	f.Add([]byte(crlfString(pgpMIME(head("e", "e", ""), ct))))
	f.Add([]byte(crlfString(head("i", "i", "Content-Type: text/plain") + "\n" + ct)))
	f.Add([]byte(crlfString(head("s", "s", `Content-Type: multipart/signed; protocol="application/pgp-signature"; boundary=b`) +
		"\n--b\nContent-Type: text/plain\n\nx\n--b\nContent-Type: application/pgp-signature\n\n-----BEGIN PGP SIGNATURE-----\n\nwsA\n-----END PGP SIGNATURE-----\n--b--\n")))
	f.Add([]byte(crlfString(head("c", "c", "Autocrypt: addr=reporter@example.org; keydata=mQINBF") + "\n-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nx\n-----BEGIN PGP SIGNATURE-----\n\nwsA\n-----END PGP SIGNATURE-----\n")))
	p := &PGP{Key: team}
	lim := Limits{MaxAttachmentBytes: 4 << 10, MaxMessageBytes: 8 << 10, MaxAttachments: 3, MaxTextBytes: 8 << 10, MaxHeaderBytes: 4 << 10}
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := ParsePGP(context.Background(), bytes.NewReader(raw), lim, p)
		if err != nil {
			return
		}
		if !utf8.ValidString(m.Body) || !utf8.ValidString(m.PGP.Note) {
			t.Fatalf("invalid UTF-8 in %q / %q", m.Body, m.PGP.Note)
		}
		if len(m.Files) > lim.MaxAttachments {
			t.Fatalf("%d attachments, limit %d", len(m.Files), lim.MaxAttachments)
		}
	})
}
