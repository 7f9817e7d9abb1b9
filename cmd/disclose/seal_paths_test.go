package main

import (
	"bytes"
	"context"
	"database/sql"
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

// TestSealedDatabaseCommands: a sealed database is sealed by every command
// that writes to it, with no DISCLOSE_SEAL given: mailin --once, serve (web
// form, status-page reply, mail intake), the operator commands; demo
// refuses; a command without the team key refuses. Each marker is then in
// neither the database file nor its WAL.
func TestSealedDatabaseCommands(t *testing.T) {
	data, _ := newSealedData(t)
	box, addMail := mailbox(t)

	t.Run("MailinOnce", func(t *testing.T) {
		const marker = "qzmarkermailinonce"
		addMail(markedMail(marker, "once"))
		e, out := envOf(imapVars(box, data))
		if err := run(context.Background(), e, []string{"mailin", "--once"}); err != nil {
			t.Fatalf("mailin --once: %v\n%s", err, out)
		}
		if !strings.Contains(out.String(), "1 new reports") {
			t.Fatalf("output: %s", out)
		}
		if dataHas(t, data, marker) {
			t.Fatal("mailin --once stored the mail in plaintext in a sealed database")
		}
	})
	t.Run("Serve", func(t *testing.T) {
		const web, mailed = "qzmarkerserveweb", "qzmarkerservemail"
		addMail(markedMail(mailed, "serve"))
		vars := imapVars(box, data)
		base, stop := serveInProcess(t, vars)
		submitAndReply(t, base, web)
		if !waitReports(t, data, 3) {
			t.Fatalf("the mailed report did not arrive:\n%s", stop())
		}
		if logs := stop(); !strings.Contains(logs, "sealed mode") {
			t.Errorf("serve did not say it seals:\n%s", logs)
		}
		for _, m := range []string{web, mailed} {
			if dataHas(t, data, m) {
				t.Fatalf("serve stored %s in plaintext in a sealed database", m)
			}
		}
	})
	t.Run("OperatorCommands", func(t *testing.T) {
		if out, err := runCLI(t, "user", "add", "--data", data, "--email", "ops@example.org", "--role", "admin"); err != nil {
			t.Fatalf("user add: %v\n%s", err, out)
		}
		if out, err := runCLI(t, "purge", "--data", data); err != nil {
			t.Fatalf("purge: %v\n%s", err, out)
		}
	})
	t.Run("ErrDemo", func(t *testing.T) {
		out, err := runCLI(t, "demo", "--data", data, "--reports", "3")
		if err == nil || !strings.Contains(err.Error(), "is sealed and demo writes in clear") {
			t.Fatalf("err = %v\n%s", err, out)
		}
	})
	t.Run("ErrNoKey", func(t *testing.T) {
		keyFile := filepath.Join(data, pgp.KeyFile)
		saved, err := os.ReadFile(keyFile)
		if err != nil {
			t.Fatal(err)
		}
		os.Remove(keyFile)
		defer writeFile(keyFile, string(saved))
		const marker = "qzmarkernokey"
		addMail(markedMail(marker, "nokey"))
		e, out := envOf(imapVars(box, data))
		err = run(context.Background(), e, []string{"mailin", "--once"})
		if err == nil || !strings.Contains(err.Error(), "is sealed but there is no team key") {
			t.Fatalf("mailin without the key: err = %v\n%s", err, out)
		}
		if out, err := runCLI(t, "user", "add", "--data", data, "--email", "ops2@example.org", "--role", "admin"); err == nil {
			t.Fatalf("user add without the key succeeded:\n%s", out)
		}
		if dataHas(t, data, marker) {
			t.Fatal("the refused mail reached the database")
		}
	})
	if p := plainRowsOf(t, data); p.Total() != 0 {
		t.Fatalf("plaintext rows in the sealed database: %s", p)
	}
}

// TestSealedDatabaseRefusesPlaintext: a sealed database that holds
// plaintext rows (written by a process that ignored the sealing, as
// mailin --once did) is refused by serve and mailin with what to do;
// disclose seal converts them and serve starts. Sealing a database that
// holds plaintext is refused the same way.
func TestSealedDatabaseRefusesPlaintext(t *testing.T) {
	data, _ := seedData(t, 2)
	keyed, _ := newKeyedData(t)
	saved, err := os.ReadFile(filepath.Join(keyed, pgp.KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := writeFile(filepath.Join(data, pgp.KeyFile), string(saved)); err != nil {
		t.Fatal(err)
	}
	t.Run("ErrSealOverPlaintext", func(t *testing.T) {
		out, err := runCLI(t, "serve", "--data", data, "--addr", "127.0.0.1:0", "--seal")
		if err == nil || !strings.Contains(err.Error(), "DISCLOSE_SEAL (--seal) is on but the database holds plaintext rows (2 reports") ||
			!strings.Contains(err.Error(), "disclose seal --data") {
			t.Fatalf("err = %v\n%s", err, out)
		}
	})
	// What the mailin of old left: a database marked sealed with plaintext.
	raw, err := sql.Open("sqlite3", filepath.Join(data, "disclose.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`INSERT INTO settings (key, value) VALUES ('sealed', '1')`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	t.Run("ErrServe", func(t *testing.T) {
		out, err := runCLI(t, "serve", "--data", data, "--addr", "127.0.0.1:0")
		if err == nil || !strings.Contains(err.Error(), "the database is sealed but holds plaintext rows (2 reports") {
			t.Fatalf("err = %v\n%s", err, out)
		}
	})
	t.Run("ErrMailin", func(t *testing.T) {
		box, _ := mailbox(t)
		e, out := envOf(imapVars(box, data))
		if err := run(context.Background(), e, []string{"mailin", "--once"}); err == nil || !strings.Contains(err.Error(), "holds plaintext rows") {
			t.Fatalf("err = %v\n%s", err, out)
		}
	})
	t.Run("SealThenServe", func(t *testing.T) {
		if out, err := runCLI(t, "seal", "--data", data); err != nil {
			t.Fatalf("seal: %v\n%s", err, out)
		}
		_, stop := serveInProcess(t, map[string]string{"DISCLOSE_DATA": data})
		stop()
	})
}

// TestRestoreSealed: a restored sealed database stays sealed; restore says
// it needs its team key, and nothing writes to it before the key is there.
func TestRestoreSealed(t *testing.T) {
	data, _ := newSealedData(t)
	file := filepath.Join(t.TempDir(), "backup.db")
	if out, err := runCLI(t, "backup", "--data", data, file); err != nil {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	restored := filepath.Join(t.TempDir(), "restored")
	out, err := runCLI(t, "restore", "--data", restored, "--local-key", filepath.Join(data, db.LocalKeyFile), file)
	if err != nil || !strings.Contains(out, "the database is sealed: copy its team key file") {
		t.Fatalf("restore: %v\n%s", err, out)
	}
	const marker = "qzmarkerrestored"
	box, _ := mailbox(t, markedMail(marker, "restored"))
	e, mout := envOf(imapVars(box, restored))
	if err := run(context.Background(), e, []string{"mailin", "--once"}); err == nil {
		t.Fatalf("mailin into the restored sealed database without its key succeeded:\n%s", mout)
	}
	saved, err := os.ReadFile(filepath.Join(data, pgp.KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := writeFile(filepath.Join(restored, pgp.KeyFile), string(saved)); err != nil {
		t.Fatal(err)
	}
	e, mout = envOf(imapVars(box, restored))
	if err := run(context.Background(), e, []string{"mailin", "--once"}); err != nil || !strings.Contains(mout.String(), "1 new reports") {
		t.Fatalf("mailin with the key: %v\n%s", err, mout)
	}
	if dataHas(t, restored, marker) {
		t.Fatal("mail stored in plaintext in the restored sealed database")
	}
}

// TestSecretsResetSealed: disclose secrets reset writes no report data, so
// it works on a sealed database without the team key.
func TestSecretsResetSealed(t *testing.T) {
	data, _ := newSealedData(t)
	if err := os.Remove(filepath.Join(data, db.LocalKeyFile)); err != nil {
		t.Fatal(err)
	}
	if out, err := runCLI(t, "secrets", "reset", "--data", data); err != nil {
		t.Fatalf("secrets reset on a sealed database: %v\n%s", err, out)
	}
}
