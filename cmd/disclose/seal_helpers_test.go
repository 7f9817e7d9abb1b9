package main

import (
	"bytes"
	"context"
	"errors"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin/pgp"
	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

// Helpers of the sealed-mode command tests (seal_paths_test.go,
// seal_pending_test.go): data directories with a team key, a loopback
// IMAP mailbox, serve run in-process, and a look at the database file.

const sealPathsPass = "seal paths passphrase"

// newKeyedData is a data directory with a team key and a pass file for it.
func newKeyedData(t *testing.T) (data, passFile string) {
	t.Helper()
	data = t.TempDir()
	key, err := pgp.Generate(pgp.GenerateOptions{Name: "Team", Email: "security@example.org"}, []byte(sealPathsPass), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := key.Save(filepath.Join(data, pgp.KeyFile)); err != nil {
		t.Fatal(err)
	}
	passFile = filepath.Join(t.TempDir(), "pass")
	if err := writeFile(passFile, sealPathsPass+"\n"); err != nil {
		t.Fatal(err)
	}
	return data, passFile
}

// newSealedData is a data directory whose database is sealed (as serve
// --seal leaves it), holding nothing yet.
func newSealedData(t *testing.T) (data, passFile string) {
	t.Helper()
	data, passFile = newKeyedData(t)
	ctx := context.Background()
	key, err := pgp.LoadTeamKey(filepath.Join(data, pgp.KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	d, err := db.Open(ctx, filepath.Join(data, "disclose.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	d.SetSealer(key, true)
	if err := d.MarkSealed(ctx); err != nil {
		t.Fatal(err)
	}
	return data, passFile
}

// dataHas reports whether the database file or its WAL holds s.
func dataHas(t *testing.T, data, s string) bool {
	t.Helper()
	for _, name := range []string{"disclose.db", "disclose.db-wal"} {
		buf, err := os.ReadFile(filepath.Join(data, name))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		if bytes.Contains(buf, []byte(s)) {
			return true
		}
	}
	return false
}

// plainRowsOf opens the database and counts its plaintext rows.
func plainRowsOf(t *testing.T, data string) db.PlainRows {
	t.Helper()
	d, err := db.Open(context.Background(), filepath.Join(data, "disclose.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	p, err := d.PlainRows(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// mailbox serves an IMAP INBOX holding raws on loopback; add appends more.
func mailbox(t *testing.T, raws ...string) (addr string, add func(raw string)) {
	t.Helper()
	mem := imapmemserver.New()
	user := imapmemserver.NewUser("security", "s3cret")
	user.Create("INBOX", nil)
	mem.AddUser(user)
	add = func(raw string) {
		if _, err := user.Append("INBOX", lit{strings.NewReader(raw)}, &imap.AppendOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, raw := range raws {
		add(raw)
	}
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev2: {}},
		InsecureAuth: true,
		Logger:       quiet{},
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String(), add
}

func markedMail(marker, id string) string {
	return "From: Ann " + marker + " <ann@researcher.test>\r\nTo: security@example.org\r\nSubject: " + marker + " open redirect\r\n" +
		"Message-ID: <" + id + "@researcher.test>\r\n\r\n/login?next=//evil.test " + marker + "\r\n"
}

// envOf runs commands with exactly these settings.
func envOf(vars map[string]string) (*environment, *syncBuffer) {
	var out syncBuffer
	return &environment{stdout: &out, stderr: &out, stdin: strings.NewReader(""), getenv: func(k string) string { return vars[k] }}, &out
}

func imapVars(addr, data string) map[string]string {
	return map[string]string{"DISCLOSE_IMAP_ADDR": addr, "DISCLOSE_IMAP_TLS": "none", "DISCLOSE_IMAP_USER": "security",
		"DISCLOSE_IMAP_PASSWORD": "s3cret", "DISCLOSE_DATA": data}
}

// serveInProcess starts serve with vars and returns its URL and a stop
// function that returns what it logged.
func serveInProcess(t *testing.T, vars map[string]string) (string, func() string) {
	t.Helper()
	e, out := envOf(vars)
	ready := make(chan string, 1)
	e.ready = func(u string) { ready <- u }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, e, []string{"serve", "--addr", "127.0.0.1:0"}) }()
	select {
	case u := <-ready:
		return strings.TrimRight(u, "/"), func() string {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("serve: %v", err)
			}
			return out.String()
		}
	case err := <-done:
		cancel()
		t.Fatalf("serve did not start: %v\n%s", err, out.String())
		return "", nil
	}
}

// submitAndReply submits a report through the web form and answers on the
// status page, each carrying marker.
func submitAndReply(t *testing.T, base, marker string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 20 * time.Second}
	_, form := fetch(t, c, mustReq(t, "GET", base+"/report", nil))
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range map[string]string{"csrf": find(t, csrfRE, form), "key": find(t, keyRE, form), "title": marker + " in /download",
		"description": "web " + marker, "credit": "name", "name": "Web " + marker, "email": "web@researcher.test"} {
		w.WriteField(k, v)
	}
	fw, _ := w.CreateFormFile("attachments", "poc.txt")
	fw.Write([]byte("file " + marker))
	w.Close()
	req := mustReq(t, "POST", base+"/report", &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	resp, receipt := fetch(t, c, req)
	if resp.StatusCode != 200 {
		t.Fatalf("submit: %d\n%.2000s", resp.StatusCode, receipt)
	}
	code := find(t, codeRE, receipt)
	_, login := fetch(t, c, mustReq(t, "GET", base+"/status", nil))
	req = mustReq(t, "POST", base+"/status", strings.NewReader(url.Values{"csrf": {find(t, csrfRE, login)}, "code": {code}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	_, status := fetch(t, c, req)
	buf.Reset()
	w = multipart.NewWriter(&buf)
	w.WriteField("csrf", find(t, csrfRE, status))
	w.WriteField("body", "status reply "+marker)
	w.Close()
	req = mustReq(t, "POST", base+"/status/reply", &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	if resp, body := fetch(t, c, req); resp.StatusCode != 200 || !strings.Contains(body, `data-testid="sent"`) {
		t.Fatalf("status reply: %d\n%.2000s", resp.StatusCode, body)
	}
}

// waitReports polls (bounded) until the database holds n reports.
func waitReports(t *testing.T, data string, n int64) bool {
	t.Helper()
	d, err := db.Open(context.Background(), filepath.Join(data, "disclose.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var got int64
	for i := 0; i < 500 && got < n; i++ {
		if got, err = d.CountReports(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got < n {
			time.Sleep(20 * time.Millisecond)
		}
	}
	return got >= n
}
