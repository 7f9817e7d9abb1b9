package db_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin"
	"github.com/disclose/disclose/mailin/mailtest"
	gomail "github.com/emersion/go-message/mail"
)

// mustOpenMailDB opens a database whose actions compose real mail: the
// events they record are composed (mailin.Events.Drain) before its outbox
// is read, as serve's event worker does right after the commit.
func mustOpenMailDB(tb testing.TB) (*mailDB, *time.Time) {
	tb.Helper()
	d := MustOpenDB(tb)
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	d.Now = func() time.Time { return now }
	u, _ := url.Parse("https://portal.example.org")
	return newMailDB(tb, d, &mailin.Notifier{BaseURL: u, Domain: "portal.example.org", ReplyAddress: "security@example.org"}), &now
}

// mailDB is a database with the mail gateway's event worker and periodic
// jobs; reading its outbox composes the events recorded so far first.
type mailDB struct {
	*db.DB
	tb     testing.TB
	events *mailin.Events
	jobs   *mailin.Jobs
}

func newMailDB(tb testing.TB, d *db.DB, n *mailin.Notifier) *mailDB {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	return &mailDB{DB: d, tb: tb, events: &mailin.Events{Store: d, Notifier: n, Log: log},
		jobs: &mailin.Jobs{Store: d, Notifier: n, Log: log}}
}

// drain composes every pending event.
func (m *mailDB) drain() {
	m.tb.Helper()
	if _, err := m.events.Drain(context.Background()); err != nil {
		m.tb.Fatalf("compose events: %v", err)
	}
}

func (m *mailDB) Mails(ctx context.Context, status string, limit int) ([]*db.Mail, error) {
	m.drain()
	return m.DB.Mails(ctx, status, limit)
}

func (m *mailDB) ReportMails(ctx context.Context, reportID int64) ([]*db.Mail, error) {
	m.drain()
	return m.DB.ReportMails(ctx, reportID)
}

// SendDigests queues the due digests, once the events that feed them are
// composed.
func (m *mailDB) SendDigests(ctx context.Context, every time.Duration) (int, error) {
	m.drain()
	return m.jobs.SendDigests(ctx, every)
}

func sendAll(tb testing.TB, d *mailDB, sink *mailtest.Sink) {
	tb.Helper()
	d.drain()
	tr, err := mailin.NewSMTP(mailin.SMTPConfig{Addr: sink.Addr, Security: mailin.SMTPNone})
	if err != nil {
		tb.Fatal(err)
	}
	w := &mailin.Outbox{Store: d.DB, Transport: tr, Composer: &mailin.Composer{From: &gomail.Address{Address: "security@example.org"}},
		Retry: mailin.DefaultRetry, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if _, err := w.SendDue(context.Background()); err != nil {
		tb.Fatal(err)
	}
}

func mailReport(tb testing.TB, d *db.DB, msgID string) *db.Receipt {
	tb.Helper()
	p, _ := d.DefaultProgram(context.Background())
	in := validReport(p.ID)
	in.Source, in.MessageID = db.SourceEmail, msgID
	rc, err := d.CreateReport(context.Background(), in)
	if err != nil {
		tb.Fatal(err)
	}
	return rc
}

func TestOutboundThread(t *testing.T) {
	ctx := context.Background()
	staff := db.Actor{UserID: 0, Name: "tri@example.org"}
	t.Run("ReplyThreadsOnReporterMailWithAttachments", func(t *testing.T) {
		d, _ := mustOpenMailDB(t)
		sink := mailtest.NewSink(t)
		rc := mailReport(t, d.DB, "<orig.1@reporter.example>")
		if mails, _ := d.Mails(ctx, "", 10); len(mails) != 0 {
			t.Fatalf("%d mails for a mail report: the intake acknowledges it", len(mails))
		}
		err := d.ReplyForTest(ctx, rc.ReportID, "Thanks. Does this patch fix it?", []db.NewAttachment{{Filename: "fix.diff", ContentType: "text/x-diff", Data: []byte("--- a\n+++ b\n")}}, staff)
		if err != nil {
			t.Fatal(err)
		}
		sendAll(t, d, sink)
		msgs := sink.Messages()
		if len(msgs) != 1 {
			t.Fatalf("sink has %d", len(msgs))
		}
		r, err := gomail.CreateReader(bytes.NewReader(msgs[0].Data))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := r.Header.Get("In-Reply-To"), "<orig.1@reporter.example>"; got != want {
			t.Errorf("In-Reply-To %q, want %q", got, want)
		}
		// The title is the reporter's words: it stays out of our mail.
		if subj, _ := r.Header.Subject(); subj != "[SEC-1] Reply from the security team" {
			t.Errorf("subject %q", subj)
		}
		if r.Header.Get("Auto-Submitted") != "" {
			t.Error("a triager's reply is marked automatic")
		}
		var text, file string
		for {
			p, err := r.NextPart()
			if err == io.EOF {
				break
			} else if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(p.Body)
			if ah, ok := p.Header.(*gomail.AttachmentHeader); ok {
				name, _ := ah.Filename()
				file = name + ":" + string(b)
			} else {
				text = string(b)
			}
		}
		if !strings.Contains(text, "Does this patch fix it?") || file != "fix.diff:--- a\n+++ b\n" {
			t.Fatalf("text %q, file %q", text, file)
		}
		// The next mail refers to the whole conversation.
		if err := d.MoveForTest(ctx, rc.ReportID, db.StateTriaged, "", staff); err != nil {
			t.Fatal(err)
		}
		mails, _ := d.ReportMails(ctx, rc.ReportID)
		if len(mails) != 2 {
			t.Fatalf("%d mails", len(mails))
		}
		if got := mails[1].References; len(got) != 2 || got[0] != "<orig.1@reporter.example>" || got[1] != mails[0].MessageID {
			t.Fatalf("references %v, want the reporter's mail then our reply %s", got, mails[0].MessageID)
		}
	})
	t.Run("WebReporterGetsAckThenStateMailsInOneThread", func(t *testing.T) {
		d, _ := mustOpenMailDB(t)
		p, _ := d.DefaultProgram(ctx)
		rc, err := d.CreateReport(ctx, validReport(p.ID))
		if err != nil {
			t.Fatal(err)
		}
		if err := d.MoveForTest(ctx, rc.ReportID, db.StateNeedsInfo, "Which browser?", staff); err != nil {
			t.Fatal(err)
		}
		mails, _ := d.ReportMails(ctx, rc.ReportID)
		if len(mails) != 2 || mails[0].Kind != mailin.MailAck || mails[1].Kind != mailin.MailState {
			t.Fatalf("mails %v", mails)
		}
		if got := mails[1].References; len(got) != 1 || got[0] != mails[0].MessageID {
			t.Fatalf("state mail references %v, want the ack", got)
		}
		if !strings.Contains(mails[1].Body, "Which browser?") {
			t.Fatalf("needs_info mail lacks the question:\n%s", mails[1].Body)
		}
		// The reporter's answer moves it back; that move mails nobody.
		if err := d.AddReporterMessage(ctx, rc.ReportID, "Firefox 130", nil, db.SourceWeb, db.DefaultLimits); err != nil {
			t.Fatal(err)
		}
		if mails, _ := d.ReportMails(ctx, rc.ReportID); len(mails) != 2 {
			t.Fatalf("%d mails after the reporter's answer, want still 2", len(mails))
		}
	})
	t.Run("SealedReport", func(t *testing.T) {
		d, _ := mustOpenMailDB(t)
		sink := mailtest.NewSink(t)
		rc := mailReport(t, d.DB, "<orig.2@reporter.example>")
		if err := d.SealForTest(ctx, rc.ReportID); err != nil {
			t.Fatal(err)
		}
		if err := d.ReplyForTest(ctx, rc.ReportID, "sealed reply text", nil, staff); err != nil {
			t.Fatal(err)
		}
		sendAll(t, d, sink)
		msg := sink.Messages()[0]
		if bytes.Contains(msg.Data, []byte("Stored XSS")) {
			t.Fatal("a sealed report's title was mailed")
		}
		mails, _ := d.ReportMails(ctx, rc.ReportID)
		if mails[0].Subject != "[SEC-1]" || mails[0].Body != "" {
			t.Fatalf("sealed mail kept subject %q body %q", mails[0].Subject, mails[0].Body)
		}
	})
}

func TestStaffNotifications(t *testing.T) {
	ctx := context.Background()
	d, now := mustOpenMailDB(t)
	p, _ := d.DefaultProgram(ctx)
	every, _ := d.AddStaffForTest(ctx, "every@example.org", "Every", db.RoleTriager, p.ID)
	digest, _ := d.AddStaffForTest(ctx, "digest@example.org", "Digest", db.RoleTriager, p.ID)
	none, _ := d.AddStaffForTest(ctx, "none@example.org", "None", db.RoleTriager, p.ID)
	d.AddStaffForTest(ctx, "outsider@example.org", "Outsider", db.RoleTriager, 0)
	for uid, mode := range map[int64]db.NotifyMode{digest: db.NotifyDigest, none: db.NotifyNone} {
		if err := d.SetNotifyPrefs(ctx, &db.NotifyPrefs{UserID: uid, Mode: mode}, db.ActorSystem); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.SetNotifyPrefs(ctx, &db.NotifyPrefs{UserID: every, Mode: "sometimes"}, db.ActorSystem); db.ErrorCode(err) != db.EINVALID {
		t.Fatalf("bad mode: %v", err)
	}
	in := validReport(p.ID)
	in.Reporter.Email = ""
	rc, err := d.CreateReport(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.AddReporterMessage(ctx, rc.ReportID, "more details", nil, db.SourceWeb, db.DefaultLimits); err != nil {
		t.Fatal(err)
	}
	mails, _ := d.Mails(ctx, "", 50)
	if len(mails) != 2 {
		t.Fatalf("%d mails, want 2 to the every-event member", len(mails))
	}
	for _, m := range mails {
		if m.To != "every@example.org" || m.UserID != every || strings.Contains(m.Body, "Stored XSS") {
			t.Errorf("staff mail to %s: %q", m.To, m.Subject)
		}
	}
	if sent, err := d.SendDigests(ctx, 24*time.Hour); err != nil || sent != 1 {
		t.Fatalf("digests %d, %v", sent, err)
	}
	mails, _ = d.Mails(ctx, "", 50)
	if mails[0].To != "digest@example.org" || !strings.Contains(mails[0].Body, "(2 events)") {
		t.Fatalf("digest to %s:\n%s", mails[0].To, mails[0].Body)
	}
	// One more event the same day waits for tomorrow's digest.
	if err := d.AddReporterMessage(ctx, rc.ReportID, "even more", nil, db.SourceWeb, db.DefaultLimits); err != nil {
		t.Fatal(err)
	}
	if sent, _ := d.SendDigests(ctx, 24*time.Hour); sent != 0 {
		t.Fatal("two digests in one day")
	}
	*now = now.Add(24 * time.Hour)
	if sent, _ := d.SendDigests(ctx, 24*time.Hour); sent != 1 {
		t.Fatal("no digest the next day")
	}
}

func TestReminders(t *testing.T) {
	ctx := context.Background()
	d, now := mustOpenMailDB(t)
	p, _ := d.DefaultProgram(ctx)
	rc, _ := d.CreateReport(ctx, validReport(p.ID))
	staff := db.Actor{Name: "tri@example.org"}
	if err := d.MoveForTest(ctx, rc.ReportID, db.StateNeedsInfo, "Which browser?", staff); err != nil {
		t.Fatal(err)
	}
	after := 72 * time.Hour
	for i, step := range []struct {
		advance time.Duration
		want    int
	}{{0, 0}, {after, 1}, {time.Hour, 0}, {after, 1}, {after, 0}} {
		*now = now.Add(step.advance)
		got, err := d.SendReminders(ctx, after, 2)
		if err != nil || got != step.want {
			t.Fatalf("step %d: reminded %d (%v), want %d", i, got, err, step.want)
		}
	}
	reminders := 0
	mails, _ := d.ReportMails(ctx, rc.ReportID)
	for _, m := range mails {
		if m.Kind == mailin.MailReminder {
			reminders++
		}
	}
	if reminders != 2 {
		t.Fatalf("%d reminders, want 2", reminders)
	}
	// An answer ends the wait; a new question starts a new count.
	if err := d.AddReporterMessage(ctx, rc.ReportID, "Firefox", nil, db.SourceWeb, db.DefaultLimits); err != nil {
		t.Fatal(err)
	}
	if err := d.MoveForTest(ctx, rc.ReportID, db.StateNeedsInfo, "And the version?", staff); err != nil {
		t.Fatal(err)
	}
	*now = now.Add(after)
	if got, _ := d.SendReminders(ctx, after, 2); got != 1 {
		t.Fatalf("new waiting period: reminded %d, want 1", got)
	}
}

func TestWebhookQueue(t *testing.T) {
	ctx := context.Background()
	d, _ := mustOpenMailDB(t)
	p, _ := d.DefaultProgram(ctx)
	on, _ := d.CreateWebhook(ctx, &db.NewWebhook{ProgramID: p.ID, URL: "https://hooks.example.org/a", Format: db.WebhookGeneric, Enabled: true}, db.ActorSystem)
	off, _ := d.CreateWebhook(ctx, &db.NewWebhook{ProgramID: p.ID, URL: "https://hooks.example.org/b", Format: db.WebhookSlack}, db.ActorSystem)
	if len(on.Secret) != 64 || on.Secret == off.Secret {
		t.Fatalf("secrets %q %q", on.Secret, off.Secret)
	}
	rc, _ := d.CreateReport(ctx, validReport(p.ID))
	if err := d.MoveForTest(ctx, rc.ReportID, db.StateTriaged, "", db.Actor{Name: "tri@example.org"}); err != nil {
		t.Fatal(err)
	}
	ds, _ := d.Deliveries(ctx, on.ID, 10)
	if len(ds) != 2 || ds[0].Event != db.EventState || ds[0].FromState != db.StateNew || ds[0].ToState != db.StateTriaged || ds[1].Event != db.EventReportCreated {
		t.Fatalf("deliveries %+v", ds)
	}
	if ds[0].Title != "" {
		t.Fatal("a content-free webhook got the title")
	}
	if ds, _ := d.Deliveries(ctx, off.ID, 10); len(ds) != 0 {
		t.Fatal("a disabled webhook got deliveries")
	}
}

// BenchmarkCreateReportWithMail is BenchmarkCreateReport with the mail
// notifier on, three program members to tell and a webhook: the cost of
// composing and queueing an acknowledgement, staff notices and a delivery in
// the submission's transaction.
func BenchmarkCreateReportWithMail(b *testing.B) {
	d, _ := mustOpenMailDB(b)
	d.Now = func() time.Time { return time.Now().UTC() }
	ctx := context.Background()
	p, _ := d.DefaultProgram(ctx)
	for _, e := range []string{"a@example.org", "b@example.org", "c@example.org"} {
		if _, err := d.AddStaffForTest(ctx, e, "", db.RoleTriager, p.ID); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := d.CreateWebhook(ctx, &db.NewWebhook{ProgramID: p.ID, URL: "https://hooks.example.org/x", Format: db.WebhookGeneric, Enabled: true}, db.ActorSystem); err != nil {
		b.Fatal(err)
	}
	benchCreateReports(b, d.DB, p.ID)
	d.drain() // and the event worker composes their mail
}

// Submissions that share a group commit each tell the program's audience,
// which the shared transaction reads once: every report gets its staff
// mail, its digest item and its webhook delivery.
func TestGroupCommitNotifiesEveryReport(t *testing.T) {
	ctx := context.Background()
	d, _ := mustOpenMailDB(t)
	p, _ := d.DefaultProgram(ctx)
	d.AddStaffForTest(ctx, "every@example.org", "Every", db.RoleTriager, p.ID)
	digest, _ := d.AddStaffForTest(ctx, "digest@example.org", "Digest", db.RoleTriager, p.ID)
	if err := d.SetNotifyPrefs(ctx, &db.NotifyPrefs{UserID: digest, Mode: db.NotifyDigest}, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	hook, _ := d.CreateWebhook(ctx, &db.NewWebhook{ProgramID: p.ID, URL: "https://hooks.example.org/a", Format: db.WebhookGeneric, Enabled: true}, db.ActorSystem)
	const n = 40
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := validReport(p.ID)
			in.Reporter.Email = ""
			_, err := d.CreateReport(ctx, in)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	d.drain()
	if mails, _ := d.Mails(ctx, "", 2*n); len(mails) != n {
		t.Errorf("%d staff mails for %d reports", len(mails), n)
	}
	if ds, _ := d.Deliveries(ctx, hook.ID, 2*n); len(ds) != n {
		t.Errorf("%d webhook deliveries for %d reports", len(ds), n)
	}
	var items int
	if err := d.QueryRowForTest(ctx, `SELECT COUNT(*) FROM digest_items WHERE user_id = ?`, digest).Scan(&items); err != nil {
		t.Fatal(err)
	}
	if items != n {
		t.Errorf("%d digest items for %d reports", items, n)
	}
}
