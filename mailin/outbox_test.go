package mailin

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin/mailtest"
)

func TestOutbox(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		d, _ := mustOpenMailDB(t)
		sink := mailtest.NewSink(t)
		rc := webReport(t, d, "Stored XSS\r\nBcc: evil@attacker.example", "alice@example.net")
		n, err := newOutbox(t, d, sink).SendDue(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n != 1 || len(sink.Messages()) != 1 {
			t.Fatalf("sent %d, sink has %d, want 1", n, len(sink.Messages()))
		}
		got := sink.Messages()[0]
		if got.From != "security@example.org" || len(got.To) != 1 || got.To[0] != "alice@example.net" {
			t.Fatalf("envelope from %q to %v", got.From, got.To)
		}
		p := parseMail(t, got.Data)
		if subj, _ := p.Header.Subject(); subj != "[SEC-1] Report received" {
			t.Errorf("subject = %q", subj)
		}
		if p.Header.Get("Bcc") != "" || p.Header.Get("Auto-Submitted") != "auto-generated" {
			t.Errorf("Bcc %q, Auto-Submitted %q", p.Header.Get("Bcc"), p.Header.Get("Auto-Submitted"))
		}
		if id := p.Header.Get("Message-Id"); !strings.HasSuffix(id, "@portal.example.org>") {
			t.Errorf("Message-ID %q is not under the portal's domain", id)
		}
		if !strings.Contains(p.Text, "SEC-1") || !strings.Contains(p.Text, "https://portal.example.org/status") {
			t.Errorf("ack lacks reference or status link:\n%s", p.Text)
		}
		if code := db.NormalizeReceiptCode(rc.Code); strings.Contains(db.NormalizeReceiptCode(string(got.Data)), code) {
			t.Fatal("the receipt code was mailed")
		}
		drainEvents(t, d)
		mails, _ := d.Mails(ctx, "", 10)
		if len(mails) != 1 || mails[0].Status != db.OutboxSent || mails[0].Attempts != 1 {
			t.Fatalf("outbox after send: %+v", mails[0])
		}
		if n, _ := newOutbox(t, d, sink).SendDue(ctx); n != 0 || len(sink.Messages()) != 1 {
			t.Fatal("a sent mail was sent again")
		}
	})
	t.Run("RetryAfterTemporary", func(t *testing.T) {
		d, clock := mustOpenMailDB(t)
		sink := mailtest.NewSink(t)
		sink.Reply(mailtest.Temporary)
		webReport(t, d, "XSS", "alice@example.net")
		w := newOutbox(t, d, sink)
		if n, err := w.SendDue(ctx); err != nil || n != 0 {
			t.Fatalf("first attempt: sent %d, %v", n, err)
		}
		m, _ := d.MailByID(ctx, 1)
		if m.Status != db.OutboxPending || !strings.Contains(m.LastError, "451") || !m.NextAttemptAt.Equal(clock.Now().Add(time.Minute)) {
			t.Fatalf("after 451: status %s, error %q, next %v", m.Status, m.LastError, m.NextAttemptAt)
		}
		if n, _ := w.SendDue(ctx); n != 0 {
			t.Fatal("sent before the backoff passed")
		}
		clock.Add(time.Minute)
		if n, err := w.SendDue(ctx); err != nil || n != 1 {
			t.Fatalf("second attempt: sent %d, %v", n, err)
		}
		m, _ = d.MailByID(ctx, 1)
		if m.Status != db.OutboxSent || m.Attempts != 2 || len(sink.Messages()) != 1 {
			t.Fatalf("after retry: status %s attempts %d, sink %d", m.Status, m.Attempts, len(sink.Messages()))
		}
	})
	t.Run("BackoffDoubles", func(t *testing.T) {
		r := Retry{Base: time.Minute, Max: time.Hour}
		for attempt, want := range map[int]time.Duration{1: time.Minute, 2: 2 * time.Minute, 3: 4 * time.Minute, 7: time.Hour, 40: time.Hour} {
			if got := r.Delay(attempt); got != want {
				t.Errorf("Delay(%d) = %v, want %v", attempt, got, want)
			}
		}
	})
	t.Run("ErrPermanent", func(t *testing.T) {
		d, _ := mustOpenMailDB(t)
		sink := mailtest.NewSink(t)
		sink.Reply(mailtest.Permanent)
		rc := webReport(t, d, "XSS", "alice@example.net")
		w := newOutbox(t, d, sink)
		if _, err := w.SendDue(ctx); err != nil {
			t.Fatal(err)
		}
		m, _ := d.MailByID(ctx, 1)
		if m.Status != db.OutboxFailed || !strings.Contains(m.LastError, "550") || m.Attempts != 1 {
			t.Fatalf("after 550: status %s attempts %d error %q", m.Status, m.Attempts, m.LastError)
		}
		assertFailureOnTimeline(t, d, rc.ReportID)
		if n, _ := w.SendDue(ctx); n != 0 || len(sink.Messages()) != 0 {
			t.Fatal("a failed mail was sent")
		}
		if err := d.RetryMail(ctx, 1, db.Actor{Name: "admin@example.org"}); err != nil {
			t.Fatal(err)
		}
		if n, err := w.SendDue(ctx); err != nil || n != 1 {
			t.Fatalf("after admin retry: sent %d, %v", n, err)
		}
		if err := d.RetryMail(ctx, 1, db.Actor{Name: "admin@example.org"}); db.ErrorCode(err) != db.ECONFLICT {
			t.Fatalf("retrying a sent mail: %v, want conflict", err)
		}
	})
	t.Run("ErrGiveUp", func(t *testing.T) {
		d, clock := mustOpenMailDB(t)
		sink := mailtest.NewSink(t)
		rc := webReport(t, d, "XSS", "alice@example.net")
		w := newOutbox(t, d, sink)
		w.Retry = Retry{Base: time.Hour, Max: 8 * time.Hour, GiveUp: 10 * time.Hour}
		attempts := 0
		for i := 0; i < 20; i++ {
			sink.Reply(mailtest.Temporary)
			if _, err := w.SendDue(ctx); err != nil {
				t.Fatal(err)
			}
			m, _ := d.MailByID(ctx, 1)
			attempts = m.Attempts
			if m.Status == db.OutboxFailed {
				break
			}
			clock.t = m.NextAttemptAt
		}
		m, _ := d.MailByID(ctx, 1)
		// Attempts at 0h, 1h, 3h, 7h, and the last at the 10h deadline.
		if m.Status != db.OutboxFailed || attempts != 5 || !strings.Contains(m.LastError, "gave up") {
			t.Fatalf("status %s after %d attempts, error %q", m.Status, attempts, m.LastError)
		}
		assertFailureOnTimeline(t, d, rc.ReportID)
	})
	t.Run("CrashBetweenAcceptAndMarkResendsSameMessageID", func(t *testing.T) {
		d, clock := mustOpenMailDB(t)
		sink := mailtest.NewSink(t)
		webReport(t, d, "XSS", "alice@example.net")
		crash := errors.New("simulated crash")
		w := newOutbox(t, d, sink)
		w.afterAccept = func(int64) error { return crash }
		if _, err := w.SendDue(ctx); !errors.Is(err, crash) {
			t.Fatalf("SendDue = %v, want the crash", err)
		}
		if len(sink.Messages()) != 1 {
			t.Fatalf("sink has %d before the crash, want 1", len(sink.Messages()))
		}
		// A restarted worker waits for the lease of the dead one, then sends again.
		restarted := newOutbox(t, d, sink)
		if n, _ := restarted.SendDue(ctx); n != 0 {
			t.Fatal("a leased mail was sent while the lease held")
		}
		clock.Add(restarted.Lease)
		if n, err := restarted.SendDue(ctx); err != nil || n != 1 {
			t.Fatalf("after restart: sent %d, %v", n, err)
		}
		msgs := sink.Messages()
		if len(msgs) != 2 {
			t.Fatalf("sink has %d, want 2", len(msgs))
		}
		first, second := parseMail(t, msgs[0].Data), parseMail(t, msgs[1].Data)
		if a, b := first.Header.Get("Message-Id"), second.Header.Get("Message-Id"); a == "" || a != b {
			t.Fatalf("resend Message-ID %q, first %q", b, a)
		}
		if string(msgs[0].Data) != string(msgs[1].Data) {
			t.Error("the resend is not the same message")
		}
		if n, _ := restarted.SendDue(ctx); n != 0 {
			t.Fatal("sent a third time")
		}
	})
	t.Run("ServerProblemShownToAdmins", func(t *testing.T) {
		d, clock := mustOpenMailDB(t)
		sink := mailtest.NewSink(t, mailtest.WithAuth("portal", "s3cret"))
		webReport(t, d, "XSS", "alice@example.net")
		problems := db.NewProblems(discardLog())
		w := newOutbox(t, d, sink)
		w.Problems = problems
		w.Transport, _ = NewSMTP(SMTPConfig{Addr: sink.Addr, Security: SMTPNone, User: "portal", Password: "wrong"})
		if _, err := w.SendDue(ctx); err != nil {
			t.Fatal(err)
		}
		list := problems.List()
		if len(list) != 1 || list[0].Key != "smtp" || !strings.Contains(list[0].Message, "535") || strings.Contains(list[0].Message, "wrong") {
			t.Fatalf("problems %+v", list)
		}
		w.Transport, _ = NewSMTP(SMTPConfig{Addr: sink.Addr, Security: SMTPNone, User: "portal", Password: "s3cret"})
		clock.Add(time.Minute)
		if n, err := w.SendDue(ctx); err != nil || n != 1 {
			t.Fatalf("after the fix: sent %d, %v", n, err)
		}
		if list := problems.List(); len(list) != 0 {
			t.Fatalf("problem not cleared: %+v", list)
		}
	})
	t.Run("ShutdownStopsBetweenMessages", func(t *testing.T) {
		d, _ := mustOpenMailDB(t)
		sink := mailtest.NewSink(t)
		webReport(t, d, "one", "alice@example.net")
		webReport(t, d, "two", "bob@example.net")
		cctx, cancel := context.WithCancel(ctx)
		w := newOutbox(t, d, sink)
		w.afterAccept = func(int64) error { cancel(); return nil }
		n, err := w.SendDue(cctx)
		if err != nil || n != 1 {
			t.Fatalf("sent %d, %v; want the mail in flight finished and marked", n, err)
		}
		counts, _ := d.MailCounts(ctx)
		if counts[db.OutboxSent] != 1 || counts[db.OutboxPending] != 1 {
			t.Fatalf("counts %v", counts)
		}
	})
	t.Run("NoSMTPKeepsMailPending", func(t *testing.T) {
		d, _ := mustOpenMailDB(t)
		webReport(t, d, "XSS", "alice@example.net")
		drainEvents(t, d)
		mails, err := d.Mails(ctx, db.OutboxPending, 10)
		if err != nil || len(mails) != 1 || !strings.Contains(mails[0].Body, "SEC-1") {
			t.Fatalf("pending mail readable by admins: %v %v", mails, err)
		}
	})
}

func assertFailureOnTimeline(t *testing.T, d *db.DB, reportID int64) {
	t.Helper()
	tl, err := d.Timeline(context.Background(), reportID, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range tl {
		if m.Event == "mail.failed" {
			if m.Public {
				t.Fatal("the failure is shown to the reporter")
			}
			return
		}
	}
	t.Fatal("the failed mail is not on the staff timeline")
}

// BenchmarkOutboxSend measures the worker end to end: claim, compose,
// SMTP to a loopback sink (one connection per mail), mark sent.
func BenchmarkOutboxSend(b *testing.B) {
	d, _ := mustOpenMailDB(b)
	sink := mailtest.NewSink(b)
	for i := 0; i < b.N; i++ {
		webReport(b, d, "Stored XSS", "alice@example.net")
	}
	w := newOutbox(b, d, sink)
	b.ResetTimer()
	n, err := w.SendDue(context.Background())
	if err != nil || n != b.N {
		b.Fatalf("sent %d of %d: %v", n, b.N, err)
	}
}
