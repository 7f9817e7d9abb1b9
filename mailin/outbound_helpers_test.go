package mailin

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/mail"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin/mailtest"
	gomail "github.com/emersion/go-message/mail"
)

// testClock is a settable clock for the database.
type testClock struct{ t time.Time }

func (c *testClock) Now() time.Time      { return c.t }
func (c *testClock) Add(d time.Duration) { c.t = c.t.Add(d) }
func discardLog() *slog.Logger           { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
func mustURL(s string) *url.URL          { u, _ := url.Parse(s); return u }
func testFrom() *mail.Address {
	return &mail.Address{Name: "ACME Security", Address: "security@example.org"}
}
func testNotifier() *Notifier {
	return &Notifier{BaseURL: mustURL("https://portal.example.org"), Domain: "portal.example.org", ReplyAddress: "security@example.org"}
}

// mustOpenMailDB opens a fresh database with the mail notifier and a clock the
// test moves.
func mustOpenMailDB(tb testing.TB) (*db.DB, *testClock) {
	tb.Helper()
	d, err := db.Open(context.Background(), filepath.Join(tb.TempDir(), "disclose.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { d.Close() })
	clock := &testClock{t: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}
	d.Now = clock.Now
	setNotifier(tb, d, testNotifier())
	return d, clock
}

// webReport submits a report through the web path with the reporter's
// email and returns its receipt.
func webReport(tb testing.TB, d *db.DB, title, email string) *db.Receipt {
	tb.Helper()
	ctx := context.Background()
	p, err := d.DefaultProgram(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	rc, err := d.CreateReport(ctx, &db.NewReport{ProgramID: p.ID, Source: db.SourceWeb, Title: title,
		Description: "The profile name is rendered without escaping.",
		Reporter:    db.Reporter{Name: "Alice", Email: email, Credit: db.CreditAnonymous}})
	if err != nil {
		tb.Fatal(err)
	}
	drainEvents(tb, d) // as serve's event worker does after the commit
	return rc
}

// newOutbox is a worker sending to sink over loopback plaintext.
func newOutbox(tb testing.TB, d *db.DB, sink *mailtest.Sink) *Outbox {
	tb.Helper()
	tr, err := NewSMTP(SMTPConfig{Addr: sink.Addr, Security: SMTPNone, Timeout: 10 * time.Second})
	if err != nil {
		tb.Fatal(err)
	}
	return &Outbox{Store: drainingStore{d, tb}, Transport: tr, Composer: &Composer{From: testFrom()},
		Retry: Retry{Base: time.Minute, Max: time.Hour, GiveUp: 24 * time.Hour}, Lease: 10 * time.Minute, Log: discardLog()}
}

// parsed is a mail as a reader sees it: header, text, HTML and files.
type parsed struct {
	Header gomail.Header
	Text   string
	HTML   string
	Files  map[string][]byte
	Types  map[string]string
}

// parseMail reads a message with go-message, decoding transfer encodings.
func parseMail(tb testing.TB, data []byte) *parsed {
	tb.Helper()
	r, err := gomail.CreateReader(bytes.NewReader(data))
	if err != nil {
		tb.Fatalf("unreadable mail: %v\n%s", err, data)
	}
	p := &parsed{Header: r.Header, Files: map[string][]byte{}, Types: map[string]string{}}
	for {
		part, err := r.NextPart()
		if err == io.EOF {
			break
		} else if err != nil {
			tb.Fatalf("unreadable part: %v\n%s", err, data)
		}
		b, err := io.ReadAll(part.Body)
		if err != nil {
			tb.Fatal(err)
		}
		switch h := part.Header.(type) {
		case *gomail.InlineHeader:
			ct, _, _ := h.ContentType()
			if ct == "text/html" {
				p.HTML = string(b)
			} else {
				p.Text = strings.ReplaceAll(string(b), "\r\n", "\n")
			}
		case *gomail.AttachmentHeader:
			name, _ := h.Filename()
			ct, _, _ := h.ContentType()
			p.Files[name], p.Types[name] = b, ct
		}
	}
	return p
}
