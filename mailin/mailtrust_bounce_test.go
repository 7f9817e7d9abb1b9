package mailin

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/mailin/mailtest"
)

// TestMailTrustBounces: a bounce marks mail of ours failed only when a mail
// server could have sent it (a multipart/report delivery report from an
// empty Return-Path, MAILER-DAEMON or postmaster) and the mail it names is
// pending or recent. Whoever received one of our mails knows its
// Message-ID and can otherwise rewrite its delivery history.
func TestMailTrustBounces(t *testing.T) {
	ctx := context.Background()
	srv := startMemIMAP(t, nil)
	d, clock := mustOpenMailDB(t)
	in := newTestIntake(t, srv.addr, d)
	status := func(id string) string {
		t.Helper()
		var s string
		if err := peek(t, d).QueryRow(`SELECT status FROM outbox WHERE message_id = ?`, id).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	report := func(from, msgID string) string {
		t.Helper()
		srv.deliver(t, "INBOX", mailText(from, "SQLi", msgID, "", "login form\n"))
		pollOnce(t, in)
		var ack string
		if err := peek(t, d).QueryRow(`SELECT o.message_id FROM outbox o JOIN messages m ON m.report_id = o.report_id
			WHERE m.message_id = ? AND o.kind = 'ack'`, msgID).Scan(&ack); err != nil {
			t.Fatal(err)
		}
		return ack
	}
	copyOf := func(id string) string {
		return "From: security@example.org\nTo: mallory@evil.test\nSubject: [SEC-1] Report received\nMessage-ID: " + id + "\n\nThank you for your report.\n"
	}

	t.Run("ErrNotADeliveryReport", func(t *testing.T) {
		ack := report("mallory@evil.test", "<b1@evil.test>")
		// An empty Return-Path and a copy of our mail, but no delivery report.
		srv.deliver(t, "INBOX", "From: mallory@evil.test\nTo: security@example.org\nReturn-Path: <>\nSubject: Undeliverable\nMessage-ID: <b2@evil.test>\n"+
			"MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: text/plain\n\nIt bounced.\n--B\nContent-Type: message/rfc822\n\n"+
			copyOf(ack)+"--B--\n")
		pollOnce(t, in)
		if got := status(ack); got != "pending" {
			t.Errorf("status = %q, want pending", got)
		}
		kept, err := d.KeptMail(ctx, 1)
		if err != nil || len(kept) != 1 || !strings.Contains(kept[0].Note, "nothing was marked failed") {
			t.Errorf("kept = %+v, %v; want it kept with the reason", kept, err)
		}
	})
	t.Run("ErrReportFromAStranger", func(t *testing.T) {
		ack := report("mallory@evil.test", "<b3@evil.test>")
		raw := strings.Replace(dsn(ack), "From: Mail Delivery System <MAILER-DAEMON@mx.researcher.test>", "From: mallory@evil.test", 1)
		srv.deliver(t, "INBOX", strings.Replace(raw, "<dsn1@mx.researcher.test>", "<b4@evil.test>", 1))
		pollOnce(t, in)
		if got := status(ack); got != "pending" {
			t.Errorf("status = %q, want pending", got)
		}
	})
	t.Run("ErrLongDelivered", func(t *testing.T) {
		ack := report("mallory@evil.test", "<b5@evil.test>")
		if _, err := newOutbox(t, d, mailtest.NewSink(t)).SendDue(ctx); err != nil {
			t.Fatal(err)
		}
		clock.Add(30 * 24 * time.Hour)
		srv.deliver(t, "INBOX", strings.Replace(dsn(ack), "<dsn1@mx.researcher.test>", "<b6@mx.evil.test>", 1))
		pollOnce(t, in)
		if got := status(ack); got != "sent" {
			t.Errorf("status = %q, want sent: a month-old mail is not rewritten", got)
		}
	})
	t.Run("OK", func(t *testing.T) {
		ack := report("ann@researcher.test", "<b7@researcher.test>")
		if _, err := newOutbox(t, d, mailtest.NewSink(t)).SendDue(ctx); err != nil {
			t.Fatal(err)
		}
		clock.Add(2 * 24 * time.Hour) // a server that retried for two days
		raw := strings.Replace(dsn(ack), "<dsn1@mx.researcher.test>", "<b8@mx.researcher.test>", 1)
		srv.deliver(t, "INBOX", "Return-Path: <>\n"+strings.Replace(raw, "MAILER-DAEMON@", "postmaster@", 1))
		pollOnce(t, in)
		if got := status(ack); got != "failed" {
			t.Errorf("status = %q, want failed", got)
		}
	})
}
