package db_test

import (
	"context"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin"
)

// A triager who answers a staff notice from their own mailbox writes to the
// security address with In-Reply-To naming the notice. That answer must not
// be filed on the report as the reporter's public message.
func TestThreadIgnoresStaffMail(t *testing.T) {
	ctx := context.Background()
	d, _ := mustOpenMailDB(t)
	p, _ := d.DefaultProgram(ctx)
	if _, err := d.AddStaffForTest(ctx, "tri@example.org", "Tri", db.RoleTriager, p.ID); err != nil {
		t.Fatal(err)
	}
	rc, err := d.CreateReport(ctx, validReport(p.ID))
	if err != nil {
		t.Fatal(err)
	}
	mails, err := d.ReportMails(ctx, rc.ReportID)
	if err != nil {
		t.Fatal(err)
	}
	var staffID, ackID string
	for _, m := range mails {
		if m.UserID != 0 {
			staffID = m.MessageID
		} else {
			ackID = m.MessageID
		}
	}
	if staffID == "" || ackID == "" {
		t.Fatalf("mails %+v: want a staff notice and an ack", mails)
	}
	if _, err := d.SyncMailbox(ctx, "INBOX", 7); err != nil {
		t.Fatal(err)
	}

	in := inboundMail(1, "<answer.1@example.org>", "tri@example.org", "Re: [SEC-1] New report", "internal: looks like the 2019 bug, do not tell them")
	in.InReplyTo = []string{staffID}
	res, err := mailin.IngestMail(ctx, d, in, mailin.IngestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Kind == db.MailReply && res.ReportID == rc.ReportID {
		t.Fatalf("a staff member's answer to a notice was filed on %s as the reporter's message", res.Ref)
	}
	// Nor does it open a report (which would notify staff, whose
	// out-of-office would answer again): it is kept aside for admins.
	if got, want := res.Kind, db.MailAutoReply; got != want {
		t.Errorf("kind %s, want %s", got, want)
	}
	if n, _ := d.CountReports(ctx); n != 1 {
		t.Errorf("reports = %d, want 1", n)
	}
	tl, err := d.Timeline(ctx, rc.ReportID, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range tl {
		if strings.Contains(e.Body, "do not tell them") {
			t.Fatalf("the staff answer is on the reporter's timeline: %+v", e)
		}
	}

	t.Run("OK", func(t *testing.T) {
		in := inboundMail(2, "<answer.2@reporter.example>", "someone@reporter.example", "Re: [SEC-1]", "more details")
		in.InReplyTo = []string{ackID}
		res, err := mailin.IngestMail(ctx, d, in, mailin.IngestOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := res.ReportID, rc.ReportID; res.Kind != db.MailReply || got != want {
			t.Fatalf("kind %s report %d, want a reply on %d", res.Kind, got, want)
		}
	})
}

// A mail that threads by In-Reply-To from an address other than the
// reporter's is marked for staff, so a Cc or a forward is not taken for the
// reporter's word.
func TestThreadMarksOtherSender(t *testing.T) {
	ctx := context.Background()
	d, _ := mustOpenMailDB(t)
	p, _ := d.DefaultProgram(ctx)
	in := validReport(p.ID)
	rc, err := d.CreateReport(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	mails, err := d.ReportMails(ctx, rc.ReportID)
	if err != nil || len(mails) == 0 {
		t.Fatalf("mails %v, %v", mails, err)
	}
	if _, err := d.SyncMailbox(ctx, "INBOX", 7); err != nil {
		t.Fatal(err)
	}
	marked := func(t *testing.T) bool {
		tl, err := d.Timeline(ctx, rc.ReportID, false)
		if err != nil {
			t.Fatal(err)
		}
		pub, err := d.Timeline(ctx, rc.ReportID, true)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range pub {
			if e.Event == "mail.sender" {
				t.Fatal("the sender note is on the reporter's timeline")
			}
		}
		last := tl[len(tl)-1]
		return last.Event == "mail.sender" && !last.Public
	}

	t.Run("OK", func(t *testing.T) {
		m := inboundMail(1, "<r.1@example.net>", strings.ToUpper(in.Reporter.Email), "Re: [SEC-1]", "from the reporter")
		m.InReplyTo = []string{mails[0].MessageID}
		if res, err := mailin.IngestMail(ctx, d, m, mailin.IngestOptions{}); err != nil || res.Kind != db.MailReply {
			t.Fatalf("res %+v, %v", res, err)
		}
		if marked(t) {
			t.Error("the reporter's own mail is marked as from another address")
		}
	})
	t.Run("ErrOtherSender", func(t *testing.T) {
		m := inboundMail(2, "<s.1@elsewhere.example>", "someone@elsewhere.example", "Re: [SEC-1]", "I am the reporter, honest")
		m.InReplyTo = []string{mails[0].MessageID}
		if res, err := mailin.IngestMail(ctx, d, m, mailin.IngestOptions{}); err != nil || res.Kind != db.MailReply {
			t.Fatalf("res %+v, %v", res, err)
		}
		if !marked(t) {
			t.Error("a mail from another address is not marked for staff")
		}
	})
}
