package db_test

import (
	"context"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
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
	res, err := d.IngestMail(ctx, in, db.IngestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Kind == db.MailReply && res.ReportID == rc.ReportID {
		t.Fatalf("a staff member's answer to a notice was filed on %s as the reporter's message", res.Ref)
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
		res, err := d.IngestMail(ctx, in, db.IngestOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := res.ReportID, rc.ReportID; res.Kind != db.MailReply || got != want {
			t.Fatalf("kind %s report %d, want a reply on %d", res.Kind, got, want)
		}
	})
}
