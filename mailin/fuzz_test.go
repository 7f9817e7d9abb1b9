package mailin

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"

	"github.com/disclose/disclose/db"
)

// fuzzLimits are small, so that one execution stays cheap whatever the
// input: the fuzzer explores by running many, and a mutated input that
// inflates or splits into thousands of parts must not slow it down.
var fuzzLimits = Limits{MaxAttachmentBytes: 4 << 10, MaxMessageBytes: 8 << 10, MaxAttachments: 3, MaxTextBytes: 8 << 10,
	MaxHeaderBytes: 4 << 10, MaxParts: 64, MaxDecryptedBytes: 64 << 10}

// maxFuzzSeed keeps large corpus files (25-huge-headers.eml, 243 KB) out of
// the seeds: the fuzzer minimizes every input that finds new code, and
// minimizing one of that size took the whole run (0 executions a second).
// corpus_test.go reads every file of the corpus.
const maxFuzzSeed = 8 << 10

// FuzzParse feeds the parser arbitrary mail. Whatever comes in, it must not
// panic or fail on an in-memory reader, must give UTF-8 text and safe file
// names, and must keep within its limits. `go test` runs the seeds;
// `go test -fuzz FuzzParse ./mailin/` explores further.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/corpus/*.eml")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		if len(b) <= maxFuzzSeed {
			f.Add(b)
		}
	}
	f.Add([]byte(dsn("<x@y>")))
	f.Add([]byte("Content-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\nContent-Type: multipart/alternative; boundary=a\r\n\r\n--a--"))
	f.Add([]byte("Content-Type: multipart/signed; protocol=\"application/pgp-signature\"; boundary=s\r\n\r\n--s\r\nContent-Type: text/plain\r\n\r\nsigned\r\n--s\r\n" +
		"Content-Type: application/pgp-signature\r\n\r\n-----BEGIN PGP SIGNATURE-----\r\n\r\nwsA\r\n-----END PGP SIGNATURE-----\r\n--s--\r\n"))
	f.Add([]byte("Content-Type: multipart/mixed; boundary=m\r\n\r\n--m\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\nMessage-ID: <in@x>\r\n\r\nbody\r\n" +
		"--m\r\nContent-Type: application/octet-stream; name=\"a.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\nAAEC\r\n--m\r\n" +
		"Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\ncaf=E9\r\n--m--\r\n"))
	f.Add([]byte("Content-Type: multipart/mixed; boundary=e\r\n\r\n--e\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=\"empty.txt\"\r\n\r\n\r\n--e--\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := Parse(bytes.NewReader(raw), fuzzLimits)
		if err != nil {
			// Only a header block go-message refuses may fail; that message
			// is then retried and set aside, raw, by intake.
			return
		}
		checkParsed(t, m)
	})
}

// checkParsed asserts what must hold of any parsed mail.
func checkParsed(t *testing.T, m *db.InboundMail) {
	t.Helper()
	lim := fuzzLimits
	for _, s := range []string{m.Body, m.Subject, m.FromName, m.PGP.Note} {
		if !utf8.ValidString(s) {
			t.Fatalf("invalid UTF-8: %q", s)
		}
	}
	if len(m.Files) > lim.MaxAttachments {
		t.Fatalf("%d attachments over the limit of %d", len(m.Files), lim.MaxAttachments)
	}
	var total int64
	for _, a := range m.Files {
		if a.Filename != db.SafeFilename(a.Filename) || !utf8.ValidString(a.Filename) {
			t.Fatalf("unsafe file name %q", a.Filename)
		}
		if int64(len(a.Data)) > lim.MaxAttachmentBytes {
			t.Fatalf("attachment of %d bytes over the limit", len(a.Data))
		}
		total += int64(len(a.Data))
	}
	if total > lim.MaxMessageBytes {
		t.Fatalf("attachments total %d bytes over the limit", total)
	}
	if int64(len(m.Body)) > lim.MaxTextBytes*4 {
		t.Fatalf("body of %d bytes", len(m.Body))
	}
}
