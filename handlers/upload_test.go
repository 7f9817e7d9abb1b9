package handlers_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/handlers"
	"github.com/disclose/disclose/mailin/pgp"
)

// randomBytes is n pseudo-random bytes (the same for the same seed).
func randomBytes(n int, seed byte) []byte {
	b := make([]byte, n)
	rand.NewChaCha8([32]byte{seed}).Read(b)
	return b
}

// storedFiles reads back every attachment of report ref, by file name.
func storedFiles(t *testing.T, d *db.DB, ref string) map[string][]byte {
	t.Helper()
	ctx := context.Background()
	r, err := d.ReportByRef(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	tl, err := d.Timeline(ctx, r.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, m := range tl {
		for _, a := range m.Attachments {
			_, rc, err := d.AttachmentReader(ctx, r.ID, a.ID, false)
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatal(err)
			}
			if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != a.SHA256 || int64(len(b)) != a.Size {
				t.Errorf("%s: listed as %d bytes %s, reads %d bytes", a.Filename, a.Size, a.SHA256[:8], len(b))
			}
			out[a.Filename] = b
		}
	}
	return out
}

// TestUploadStored: files small and large (over the 256 KiB that stay in
// memory, so spooled to disk and streamed into chunks), one of exactly the
// size limit, are stored byte for byte, clear and sealed.
func TestUploadStored(t *testing.T) {
	for _, sealed := range []bool{false, true} {
		t.Run(map[bool]string{false: "Clear", true: "Sealed"}[sealed], func(t *testing.T) {
			lim := db.Limits{MaxFiles: 3, MaxFileBytes: 3 << 20, MaxTextRunes: 5000}
			p := newPortal(t, configure(func(c *handlers.Config) { c.Limits, c.MaxBody, c.SpoolDir = lim, 16<<20, t.TempDir() }))
			if sealed {
				key, err := pgp.Generate(pgp.GenerateOptions{Email: "security@example.org"}, []byte("upload test passphrase"), time.Now())
				if err != nil {
					t.Fatal(err)
				}
				p.DB.SetSealer(key, true)
			}
			b := p.browser(t)
			csrf, key := b.formToken()
			files := []file{{"small.txt", "a small file"}, {"dump.bin", string(randomBytes(2<<20+7, 1))}, {"max.bin", string(randomBytes(3<<20, 2))}}
			page := b.submit(validFields(csrf, key), files...)
			if page.Status != http.StatusOK {
				t.Fatalf("submit: %d\n%.2000s", page.Status, page.Body)
			}
			got := storedFiles(t, p.DB, match(t, refRE, page.Body))
			for _, f := range files {
				if !bytes.Equal(got[f.name], []byte(f.content)) {
					t.Errorf("%s: stored %d bytes, sent %d (or other bytes)", f.name, len(got[f.name]), len(f.content))
				}
			}
		})
	}
}

// TestUploadRefused: a file over the limit (cut at limit+1 bytes, its size
// still said) or one file too many refuses the form with every error at
// once, keeps what was typed (fields before and after the files) and says
// that the files must be chosen again; nothing is stored.
func TestUploadRefused(t *testing.T) {
	p := newPortal(t, configure(reportLimits)) // 2 files of 1 KiB
	b := p.browser(t)
	csrf, key := b.formToken()
	fields := validFields(csrf, key)
	fields["cvss"] = "CVSS:9"
	cases := []struct {
		name  string
		files []file
		want  string
	}{
		{"OverSize", []file{{"ok.txt", "fine"}, {"big.log", strings.Repeat("x", 1025)}}, `"big.log" is 1 KB; each file may be at most 1 KB.`},
		{"OverSizeAfterTheFirst", []file{{"big.log", strings.Repeat("x", 3000)}, {"ok.txt", "fine"}}, `"big.log" is 3 KB; each file may be at most 1 KB.`},
		{"TooMany", []file{{"a.txt", "a"}, {"b.txt", "b"}, {"c.txt", "c"}}, "Attach at most 2 files (you chose 3)."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			page := b.submitOrdered(fields, []string{"csrf", "key", "title", "description"}, tc.files)
			if page.Status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", page.Status)
			}
			doc := parse(t, page)
			if got := strings.TrimSpace(doc.Find("#e-attachments").Text()); !strings.Contains(got, tc.want) {
				t.Errorf("attachments error %q, want %q", got, tc.want)
			}
			if doc.Find("#e-cvss").Length() == 0 {
				t.Error("the CVSS error is not shown with the file error")
			}
			if got := doc.Find("#f-email").AttrOr("value", ""); got != fields["email"] {
				t.Errorf("email typed after the files: kept %q", got)
			}
			if got := doc.Find("#f-title").AttrOr("value", ""); got != fields["title"] {
				t.Errorf("title typed before the files: kept %q", got)
			}
			if !strings.Contains(page.Body, "please choose your attachments again") {
				t.Error("the form does not say the files must be chosen again")
			}
			if n := p.count(); n != 0 {
				t.Fatalf("%d reports stored", n)
			}
		})
	}
}

// submitOrdered sends the report form with the named fields first (in that
// order), then the files, then the other fields, as a browser sends a form
// whose file input sits in the middle.
func (b *browser) submitOrdered(fields map[string]string, first []string, files []file) page {
	b.t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	done := map[string]bool{}
	for _, k := range first {
		w.WriteField(k, fields[k])
		done[k] = true
	}
	for _, f := range files {
		fw, _ := w.CreateFormFile("attachments", f.name)
		fw.Write([]byte(f.content))
	}
	for k, v := range fields {
		if !done[k] {
			w.WriteField(k, v)
		}
	}
	w.Close()
	return b.send(http.MethodPost, "/report", w.FormDataContentType(), &buf)
}

// countingReader counts what the client sent of a body.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// TestForgedUploadCostsNothing: a forged form (its token missing, wrong,
// or sent after the files, where a cross-site form would put it) is
// refused before its files are read. Before, the whole body was read and
// kept (in memory) before the token was looked at, so a forged 40 MB form
// cost 40 MB.
func TestForgedUploadCostsNothing(t *testing.T) {
	const size = 40 << 20
	p := newPortal(t, configure(func(c *handlers.Config) {
		c.Limits, c.MaxBody = db.Limits{MaxFiles: 5, MaxFileBytes: 50 << 20, MaxTextRunes: 5000}, 60<<20
	}))
	b := p.browser(t)
	csrf, key := b.formToken()
	for _, tc := range []struct{ name, token string }{{"NoToken", ""}, {"WrongToken", strings.Repeat("A", 43)}, {"TokenAfterFiles", csrf}} {
		t.Run(tc.name, func(t *testing.T) {
			pr, pw := io.Pipe()
			w := multipart.NewWriter(pw)
			go func() {
				w.WriteField("key", key)
				w.WriteField("title", "Forged")
				fw, _ := w.CreateFormFile("attachments", "big.bin")
				chunk := make([]byte, 64<<10)
				for n := 0; n < size; n += len(chunk) {
					if _, err := fw.Write(chunk); err != nil {
						pw.CloseWithError(err)
						return
					}
				}
				if tc.token != "" {
					w.WriteField("csrf", tc.token)
				}
				pw.CloseWithError(w.Close())
			}()
			body := &countingReader{r: pr}
			req, _ := http.NewRequest(http.MethodPost, p.Server.URL+"/report", body)
			req.Header.Set("Content-Type", w.FormDataContentType())
			u, _ := url.Parse(p.Server.URL)
			for _, c := range b.c.Jar.Cookies(u) {
				req.AddCookie(c)
			}
			resp, err := http.DefaultClient.Do(req)
			pr.CloseWithError(io.ErrClosedPipe)
			status := 0
			if err == nil {
				status = resp.StatusCode
				resp.Body.Close()
			}
			sent := body.n.Load()
			t.Logf("forged form of %d MiB: status %d (%v) after the client sent %.1f MiB", size>>20, status, err, float64(sent)/(1<<20))
			if err == nil && status != http.StatusForbidden {
				t.Errorf("status %d, want 403", status)
			}
			// What the client got out before the refusal: the server's
			// read buffer, what it drains after answering (256 KiB) and
			// the sockets' buffers, not the file.
			if sent > 16<<20 {
				t.Errorf("the portal read %.1f MiB of a forged form before refusing it", float64(sent)/(1<<20))
			}
			if n := p.count(); n != 0 {
				t.Fatalf("%d reports stored", n)
			}
		})
	}
}

// TestStaffReplyUploadStored: a staff reply and note carry a spooled file
// (over the 256 KiB kept in memory) into the database whole, and one over
// the limit is refused with what was typed kept.
func TestStaffReplyUploadStored(t *testing.T) {
	p := newPortal(t, configure(func(c *handlers.Config) {
		c.Limits, c.MaxBody = db.Limits{MaxFiles: 2, MaxFileBytes: 2 << 20, MaxTextRunes: 5000}, 8<<20
	}))
	p.mustUser(t, "tri@example.org", db.RoleTriager, 1)
	r := mustReport(t, p)
	b := p.browser(t)
	b.mustLogin("tri@example.org")
	data := randomBytes(1<<20+3, 3)
	for _, action := range []string{"reply", "note"} {
		version := regexpFind(`name="version" value="([^"]*)"`, b.get("/triage/reports/"+r.Ref()).Body)
		fields := map[string]string{"csrf": b.csrf, "version": version, "body": "See the attached " + action + "."}
		page := b.submitTo("/triage/reports/"+r.Ref()+"/"+action, fields, []file{{action + ".bin", string(data)}})
		if page.Status != http.StatusSeeOther {
			t.Fatalf("%s: status %d, want 303\n%.2000s", action, page.Status, page.Body)
		}
		version = regexpFind(`name="version" value="([^"]*)"`, b.get("/triage/reports/"+r.Ref()).Body)
		fields["version"], fields["body"] = version, "Too large "+action
		page = b.submitTo("/triage/reports/"+r.Ref()+"/"+action, fields, []file{{"huge.bin", string(randomBytes(2<<20+1, 4))}})
		if page.Status != http.StatusUnprocessableEntity || !strings.Contains(page.Body, "each file may be at most 2.0 MB") || !strings.Contains(page.Body, "Too large "+action) {
			t.Fatalf("%s over the limit: status %d, want 422 with the size error and the text kept", action, page.Status)
		}
	}
	got := storedFiles(t, p.DB, r.Ref())
	for _, name := range []string{"reply.bin", "note.bin"} {
		if !bytes.Equal(got[name], data) {
			t.Errorf("%s: stored %d bytes of %d", name, len(got[name]), len(data))
		}
	}
	if _, ok := got["huge.bin"]; ok {
		t.Error("a file over the limit was stored")
	}
}

// submitTo posts fields (csrf first) then files, as multipart, to path.
func (b *browser) submitTo(path string, fields map[string]string, files []file) page {
	b.t.Helper()
	ct, body := multipartBody(b.t, fields, files)
	return b.send(http.MethodPost, path, ct, body)
}

// TestStatusReplyUploadStored: a reporter's answer on the status page
// carries a spooled file into the database whole, and too many files are
// refused with the message kept.
func TestStatusReplyUploadStored(t *testing.T) {
	p := newPortal(t, configure(func(c *handlers.Config) {
		c.Limits, c.MaxBody = db.Limits{MaxFiles: 1, MaxFileBytes: 2 << 20, MaxTextRunes: 5000}, 8<<20
	}))
	b := p.browser(t)
	ref, code := b.fileReport(map[string]string{"title": "Open redirect", "description": "next= is not checked."})
	if page := b.post("/status", url.Values{"code": {code}}); page.Status != http.StatusSeeOther {
		t.Fatalf("status login: %d", page.Status)
	}
	data := randomBytes(1<<20+5, 5)
	page := b.submitTo("/status/reply", map[string]string{"csrf": b.csrf, "body": "Here is the trace."}, []file{{"trace.har", string(data)}})
	if page.Status != http.StatusSeeOther {
		t.Fatalf("reply: status %d, want 303\n%.2000s", page.Status, page.Body)
	}
	page = b.submitTo("/status/reply", map[string]string{"csrf": b.csrf, "body": "Two more."}, []file{{"a.txt", "a"}, {"b.txt", "b"}})
	if page.Status != http.StatusUnprocessableEntity || !strings.Contains(page.Body, "Attach at most 1 file (you chose 2).") || !strings.Contains(page.Body, "Two more.") {
		t.Fatalf("two files: status %d, want 422 with the count and the message kept", page.Status)
	}
	if got := storedFiles(t, p.DB, ref); !bytes.Equal(got["trace.har"], data) || len(got) != 1 {
		t.Errorf("stored %d files, trace.har %d bytes of %d", len(got), len(got["trace.har"]), len(data))
	}
}
