package mailin

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"

	"github.com/disclose/disclose/db"
)

// FuzzParse feeds the parser arbitrary mail. Whatever comes in, it must not
// panic or fail on an in-memory reader, must give UTF-8 text and safe file
// names, and must keep within its limits. `go test` runs the seeds (the whole
// corpus); `go test -fuzz FuzzParse ./mailin/` explores further.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/corpus/*.eml")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(dsn("<x@y>")))
	f.Add([]byte("Content-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\nContent-Type: multipart/alternative; boundary=a\r\n\r\n--a--"))
	lim := Limits{MaxAttachmentBytes: 4 << 10, MaxMessageBytes: 8 << 10, MaxAttachments: 3, MaxTextBytes: 8 << 10, MaxHeaderBytes: 4 << 10}
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := Parse(bytes.NewReader(raw), lim)
		if err != nil {
			// Only a header block go-message refuses may fail; that message
			// is then retried and set aside, raw, by intake.
			return
		}
		for _, s := range []string{m.Body, m.Subject, m.FromName} {
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
	})
}
