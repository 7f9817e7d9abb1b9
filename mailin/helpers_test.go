package mailin

import (
	"context"
	"database/sql"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

// memIMAP is a real IMAP server (go-imap's imapserver over its in-memory
// backend) on 127.0.0.1:0.
type memIMAP struct {
	addr string
	user *imapmemserver.User
}

func startMemIMAP(t testing.TB, caps imap.CapSet) *memIMAP {
	t.Helper()
	mem := imapmemserver.New()
	user := imapmemserver.NewUser("security", "secret")
	if err := user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	mem.AddUser(user)
	if caps == nil {
		caps = imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}}
	}
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:         caps,
		InsecureAuth: true,
		Logger:       discardLogger{},
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return &memIMAP{addr: ln.Addr().String(), user: user}
}

type discardLogger struct{}

func (discardLogger) Printf(string, ...any) {}

type literal struct {
	*strings.Reader
}

func (l literal) Size() int64 { return int64(l.Reader.Len()) }

// deliver puts a message into a mailbox as a mail server would.
func (s *memIMAP) deliver(t testing.TB, mailbox, raw string) {
	t.Helper()
	raw = strings.ReplaceAll(strings.ReplaceAll(raw, "\r\n", "\n"), "\n", "\r\n")
	if _, err := s.user.Append(mailbox, literal{strings.NewReader(raw)}, &imap.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
}

func (s *memIMAP) count(t testing.TB, mailbox string) uint32 {
	t.Helper()
	st, err := s.user.Status(mailbox, &imap.StatusOptions{NumMessages: true})
	if err != nil {
		t.Fatal(err)
	}
	return *st.NumMessages
}

func (s *memIMAP) unseen(t testing.TB, mailbox string) uint32 {
	t.Helper()
	st, err := s.user.Status(mailbox, &imap.StatusOptions{NumUnseen: true})
	if err != nil {
		t.Fatal(err)
	}
	return *st.NumUnseen
}

func mustOpenDB(t testing.TB) *db.DB {
	t.Helper()
	d, err := db.Open(context.Background(), filepath.Join(t.TempDir(), "disclose.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// peek opens the database file read-only for assertions on tables db has no
// reader for (the outbox belongs to the outbound helper).
func peek(t testing.TB, d *db.DB) *sql.DB {
	t.Helper()
	drainEvents(t, d) // what the event worker writes right after each commit
	p, err := sql.Open("sqlite3", "file:"+d.Path+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func newTestIntake(t testing.TB, addr string, store Store) *Intake {
	t.Helper()
	in, err := New(Config{Addr: addr, TLS: TLSNone, User: "security", Password: "secret", Interval: time.Hour,
		MessageIDDomain: "portal.test", OwnAddresses: []string{"security@example.org"}, SpoolDir: t.TempDir()},
		store, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func pollOnce(t testing.TB, in *Intake) *PollStats {
	t.Helper()
	stats, err := in.PollOnce(context.Background())
	if err != nil {
		t.Fatalf("poll: %v", err)
	}
	if d, ok := in.store.(*db.DB); ok {
		drainEvents(t, d) // as serve's event worker does after each commit
	}
	return stats
}

// mailText builds a small message; extra holds further header lines.
func mailText(from, subject, msgID, extra, body string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s\nTo: security@example.org\nSubject: %s\nDate: Mon, 02 Nov 2026 10:00:00 +0000\n", from, subject)
	if msgID != "" {
		fmt.Fprintf(&b, "Message-ID: %s\n", msgID)
	}
	if extra != "" {
		b.WriteString(strings.TrimRight(extra, "\n") + "\n")
	}
	b.WriteString("MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n")
	b.WriteString(body)
	return b.String()
}

// writeBase64Lines writes data base64-encoded in lines of 76 characters, as
// mailers send an attachment.
func writeBase64Lines(b *strings.Builder, data []byte) {
	enc := base64.StdEncoding.EncodeToString(data)
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\n")
}
