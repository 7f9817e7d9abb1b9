package mailin

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin/pgp"
)

// fuzzTeamKey is a fixed team key (testdata, locked with teamPass; a test
// key, nothing else), loaded in every fuzzing process: generating one per
// process cost time, and the workers could not decrypt the seeds the
// coordinator made with its own key.
func fuzzTeamKey(f *testing.F) *pgp.TeamKey {
	f.Helper()
	team, err := pgp.LoadTeamKey("testdata/fuzz-team-key.asc")
	if err == nil {
		err = team.Unlock([]byte(teamPass))
	}
	if err != nil {
		f.Fatal(err)
	}
	return team
}

// FuzzParsePGP feeds the OpenPGP paths (multipart/signed and /encrypted,
// inline blocks, encrypted and key attachments, Autocrypt) arbitrary mail
// with an unlocked team key that also signed the seeds: no panic, UTF-8
// text, within the limits (decryption included).
func FuzzParsePGP(f *testing.F) {
	team := fuzzTeamKey(f)
	pub, err := team.ArmoredPublic()
	if err != nil {
		f.Fatal(err)
	}
	pubBin, _ := team.PublicBinary()
	inner := "Content-Type: text/plain\r\n\r\nhi\r\n"
	ct, _, _ := team.EncryptTo([]byte(inner), nil) // signed too: the key is unlocked
	f.Add([]byte(crlfString(pgpMIME(head("e", "e", ""), ct))))
	f.Add([]byte(crlfString(head("i", "i", "Content-Type: text/plain") + "\nBefore.\n" + ct + "\nAfter.\n")))
	sig, _, _ := team.SignDetached([]byte("Content-Type: text/plain\r\n\r\nx"))
	f.Add([]byte(crlfString(head("s", "s", `Content-Type: multipart/signed; protocol="application/pgp-signature"; micalg=pgp-sha256; boundary=b`) +
		"\n--b\nContent-Type: text/plain\n\nx\n--b\nContent-Type: application/pgp-signature\n\n" + sig + "\n--b--\n")))
	clear, _ := team.SignCleartext("signed text\n")
	f.Add([]byte(crlfString(head("c", "c", "Content-Type: text/plain") + "\n" + clear)))
	f.Add([]byte(crlfString(head("a", "a", "Autocrypt: addr=reporter@example.org; keydata="+base64.StdEncoding.EncodeToString(pubBin)) + "\nhello\n")))
	bin, _, _ := team.EncryptTo([]byte("file"), nil)
	var b strings.Builder
	b.WriteString(head("f", "f", `Content-Type: multipart/mixed; boundary="m"`))
	fmt.Fprintf(&b, "\n--m\nContent-Type: text/plain\n\nfiles\n--m\nContent-Type: application/pgp-keys; name=\"key.asc\"\n\n%s\n", pub)
	fmt.Fprintf(&b, "--m\nContent-Type: application/octet-stream; name=\"poc.txt.asc\"\nContent-Disposition: attachment; filename=\"poc.txt.asc\"\n\n%s\n--m--\n", bin)
	f.Add([]byte(crlfString(b.String())))
	p := &PGP{Key: team, Known: func(context.Context, db.KeyQuery) ([]string, error) { return []string{pub}, nil }}
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := ParsePGP(context.Background(), bytes.NewReader(raw), fuzzLimits, p)
		if err != nil {
			return
		}
		checkParsed(t, m)
	})
}
