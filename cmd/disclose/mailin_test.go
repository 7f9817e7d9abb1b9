package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

type lit struct{ *strings.Reader }

func (l lit) Size() int64 { return int64(l.Reader.Len()) }

type quiet struct{}

func (quiet) Printf(string, ...any) {}

func TestMailinOnce(t *testing.T) {
	mem := imapmemserver.New()
	user := imapmemserver.NewUser("security", "s3cret")
	user.Create("INBOX", nil)
	mem.AddUser(user)
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
	defer srv.Close()
	raw := "From: ann@researcher.test\r\nTo: security@example.org\r\nSubject: Open redirect\r\nMessage-ID: <once@researcher.test>\r\n\r\n/login?next=//evil.test\r\n"
	if _, err := user.Append("INBOX", lit{strings.NewReader(raw)}, &imap.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := writeFile(pwFile, "s3cret\n"); err != nil {
		t.Fatal(err)
	}
	env := func(m map[string]string) *environment {
		var out, errb bytes.Buffer
		return &environment{stdout: &out, stderr: &errb, getenv: func(k string) string { return m[k] }}
	}

	t.Run("OK", func(t *testing.T) {
		e := env(map[string]string{"DISCLOSE_IMAP_ADDR": ln.Addr().String(), "DISCLOSE_IMAP_TLS": "none",
			"DISCLOSE_IMAP_USER": "security", "DISCLOSE_IMAP_PASSWORD_FILE": pwFile, "DISCLOSE_DATA": data})
		if err := run(context.Background(), e, []string{"mailin", "--once"}); err != nil {
			t.Fatalf("mailin --once: %v", err)
		}
		if got := e.stdout.(*bytes.Buffer).String(); !strings.Contains(got, "1 new reports") {
			t.Errorf("output = %q", got)
		}
		d, err := db.Open(context.Background(), filepath.Join(data, "disclose.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		r, err := d.ReportByRef(context.Background(), "SEC-1")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := r.Title, "Open redirect"; got != want {
			t.Errorf("title = %q, want %q", got, want)
		}
	})

	t.Run("InsideServe", func(t *testing.T) {
		if _, err := user.Append("INBOX", lit{strings.NewReader(strings.Replace(raw, "<once@", "<serve@", 1))}, &imap.AppendOptions{}); err != nil {
			t.Fatal(err)
		}
		data := t.TempDir()
		var out, errb syncBuffer
		ready := make(chan string, 1)
		e := &environment{stdout: &out, stderr: &errb, ready: func(u string) { ready <- u }, getenv: func(k string) string {
			return map[string]string{"DISCLOSE_IMAP_ADDR": ln.Addr().String(), "DISCLOSE_IMAP_TLS": "none", "DISCLOSE_IMAP_USER": "security",
				"DISCLOSE_IMAP_PASSWORD": "s3cret", "DISCLOSE_DATA": data, "DISCLOSE_ADDR": "127.0.0.1:0", "DISCLOSE_LOG_LEVEL": "debug"}[k]
		}}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- run(ctx, e, []string{"serve"}) }()
		select {
		case <-ready:
		case err := <-done:
			t.Fatalf("serve: %v", err)
		}
		d, err := db.Open(context.Background(), filepath.Join(data, "disclose.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		// Bounded: intake polls at once on start; 250 looks of 20 ms.
		var n int64
		for i := 0; i < 250 && n == 0; i++ {
			if n, err = d.CountReports(context.Background()); err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				time.Sleep(20 * time.Millisecond)
			}
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("serve: %v", err)
		}
		if n != 1 {
			t.Fatalf("reports = %d, want 1\n%s", n, errb.String())
		}
		if !strings.Contains(errb.String(), "mail intake stopped") {
			t.Errorf("log lacks the intake stopping on shutdown:\n%s", errb.String())
		}
	})

	t.Run("IntakeOffSaidOnce", func(t *testing.T) {
		var out, errb syncBuffer
		ready := make(chan string, 1)
		e := &environment{stdout: &out, stderr: &errb, ready: func(u string) { ready <- u }, getenv: func(k string) string {
			return map[string]string{"DISCLOSE_DATA": t.TempDir(), "DISCLOSE_ADDR": "127.0.0.1:0"}[k]
		}}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- run(ctx, e, []string{"serve"}) }()
		<-ready
		cancel()
		<-done
		if got := strings.Count(errb.String(), "DISCLOSE_IMAP_ADDR is not set"); got != 1 {
			t.Errorf("log says the environment's mailbox is not set %d times, want once:\n%s", got, errb.String())
		}
	})

	t.Run("ErrWrongPassword", func(t *testing.T) {
		e := env(map[string]string{"DISCLOSE_IMAP_ADDR": ln.Addr().String(), "DISCLOSE_IMAP_TLS": "none",
			"DISCLOSE_IMAP_USER": "security", "DISCLOSE_IMAP_PASSWORD": "nope", "DISCLOSE_DATA": t.TempDir()})
		if err := run(context.Background(), e, []string{"mailin", "--once"}); err == nil {
			t.Fatal("mailin --once with a wrong password succeeded")
		}
	})

	t.Run("ErrPlaintextToRemote", func(t *testing.T) {
		e := env(map[string]string{"DISCLOSE_IMAP_ADDR": "imap.example.org:143", "DISCLOSE_IMAP_TLS": "none",
			"DISCLOSE_IMAP_USER": "security", "DISCLOSE_IMAP_PASSWORD": "x", "DISCLOSE_DATA": t.TempDir()})
		err := run(context.Background(), e, []string{"serve", "--addr", "127.0.0.1:0"})
		if err == nil || !strings.HasPrefix(err.Error(), "DISCLOSE_IMAP_TLS (--imap-tls): none would send the password in clear") || strings.Contains(err.Error(), "\n") {
			t.Fatalf("err = %v, want one line refusing plaintext IMAP to a remote host", err)
		}
	})
}

func writeFile(path, s string) error { return os.WriteFile(path, []byte(s), 0o600) }
