package mailin

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
)

// TestMailTrustReporterMailText: a stranger chooses the title, the name and
// the subject of what they file in someone else's name; none of it reaches
// a mail the portal sends to the reporter's address under the team's name.
func TestMailTrustReporterMailText(t *testing.T) {
	ctx := context.Background()
	srv := startMemIMAP(t, nil)
	d, clock := mustOpenMailDB(t)
	in := newTestIntake(t, srv.addr, d)
	const lure = "evil.example"
	p, err := d.DefaultProgram(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := d.CreateReport(ctx, &db.NewReport{ProgramID: p.ID, Source: db.SourceWeb, Title: "Your account is locked, log in at https://" + lure,
		Description: "text", Reporter: db.Reporter{Name: "Bank support: call +1 555 0100 or visit " + lure, Email: "victim@example.net", Credit: db.CreditName}})
	if err != nil {
		t.Fatal(err)
	}
	staff := db.Actor{Name: "tri@example.org"}
	r, _ := d.ReportByID(ctx, rc.ReportID)
	if err := d.Reply(ctx, r.ID, r.Version, staff, "Could you tell us more?", nil, db.DefaultLimits); err != nil {
		t.Fatal(err)
	}
	r, _ = d.ReportByID(ctx, rc.ReportID)
	if err := d.ChangeState(ctx, r.ID, r.Version, staff, db.StateChange{To: db.StateNeedsInfo, Reason: "Which version?"}); err != nil {
		t.Fatal(err)
	}
	clock.Add(time.Hour)
	if _, err := d.SendReminders(ctx, time.Minute, 10); err != nil {
		t.Fatal(err)
	}
	r, _ = d.ReportByID(ctx, rc.ReportID)
	if err := d.ChangeState(ctx, r.ID, r.Version, staff, db.StateChange{To: db.StateSpam, Reason: "Not a report."}); err != nil {
		t.Fatal(err)
	}
	srv.deliver(t, "INBOX", mailText("Lure <victim@example.net>", "Invoice overdue, pay at https://"+lure, "<lure1@evil.test>", "", "Pay now at "+lure+".\n"))
	pollOnce(t, in)
	drainEvents(t, d)
	mails, err := d.Mails(ctx, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, m := range mails {
		if m.UserID != 0 {
			continue
		}
		kinds[m.Kind] = true
		if strings.Contains(m.Subject, lure) || strings.Contains(m.Body, lure) || strings.Contains(m.Subject, "locked") || strings.Contains(m.Subject, "Invoice") {
			t.Errorf("%s mail carries the stranger's words:\nSubject: %s\n\n%s", m.Kind, m.Subject, m.Body)
		}
		if !strings.HasPrefix(m.Subject, "[SEC-") {
			t.Errorf("%s subject %q lacks the reference", m.Kind, m.Subject)
		}
	}
	for _, k := range []string{MailAck, MailReply, MailState, MailReminder} {
		if !kinds[k] {
			t.Errorf("no %s mail was written (kinds %v)", k, kinds)
		}
	}
}
