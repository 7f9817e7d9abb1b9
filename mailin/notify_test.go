package mailin

import (
	"context"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
)

func testReport() *db.Report {
	return &db.Report{ID: 7, ProgramID: 1, ProgramName: "ACME", Prefix: "SEC", Number: 1, Source: db.SourceWeb, State: db.StateNew,
		Title: "Stored XSS in profile name", Description: "secret details of the flaw",
		Reporter: db.Reporter{Name: "Alice", Email: "alice@example.net"}}
}

func notify(t *testing.T, n *Notifier, ev *db.Event) []*db.OutMail {
	t.Helper()
	mails, err := n.Notify(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	return mails
}

func TestNotifier(t *testing.T) {
	n := testNotifier()
	t.Run("Ack", func(t *testing.T) {
		mails := notify(t, n, &db.Event{Kind: db.EventReportCreated, Report: testReport(), Actor: db.ActorReporter})
		if len(mails) != 1 {
			t.Fatalf("%d mails, want the acknowledgement", len(mails))
		}
		m := mails[0]
		if m.To != "alice@example.net" || m.Kind != MailAck || !m.AutoSubmitted || m.Subject != "[SEC-1] Report received" {
			t.Fatalf("ack %+v", m)
		}
		if strings.Contains(m.Body, "Alice") || strings.Contains(m.Body, "Stored XSS") {
			t.Errorf("ack quotes what the reporter typed:\n%s", m.Body)
		}
		for _, want := range []string{"SEC-1", "https://portal.example.org/status", "reply to this email", "never send that code by email"} {
			if !strings.Contains(m.Body, want) {
				t.Errorf("ack lacks %q:\n%s", want, m.Body)
			}
		}
		if strings.Contains(m.Body, "secret details") {
			t.Error("ack repeats the report text")
		}
		if !strings.HasPrefix(m.MessageID, "<") || !strings.HasSuffix(m.MessageID, "@portal.example.org>") {
			t.Errorf("Message-ID %q", m.MessageID)
		}
	})
	t.Run("NoAckForMailIntake", func(t *testing.T) {
		r := testReport()
		r.Source = db.SourceEmail
		if mails := notify(t, n, &db.Event{Kind: db.EventReportCreated, Report: r}); len(mails) != 0 {
			t.Fatalf("%d mails: the intake acknowledges mail reports itself", len(mails))
		}
	})
	t.Run("NoMailWithoutAddress", func(t *testing.T) {
		r := testReport()
		r.Reporter.Email = ""
		if mails := notify(t, n, &db.Event{Kind: db.EventReportCreated, Report: r}); len(mails) != 0 {
			t.Fatalf("%d mails to nobody", len(mails))
		}
	})
	t.Run("ReplyWithAttachments", func(t *testing.T) {
		mails := notify(t, n, &db.Event{Kind: db.EventReply, Report: testReport(), Body: "Which browser did you use?",
			InReplyTo: "<orig@reporter.example>", References: []string{"<orig@reporter.example>"},
			Attachments: []*db.Attachment{{ID: 41, Filename: "screenshot.png", Size: 2048}}, Actor: db.Actor{UserID: 3, Name: "tri@example.org"}})
		if len(mails) != 1 {
			t.Fatalf("%d mails", len(mails))
		}
		m := mails[0]
		if m.AutoSubmitted || m.InReplyTo != "<orig@reporter.example>" || len(m.Attachments) != 1 || m.Attachments[0] != 41 {
			t.Fatalf("reply %+v", m)
		}
		if !strings.HasPrefix(m.Body, "Which browser did you use?") || !strings.Contains(m.Body, "screenshot.png") {
			t.Fatalf("reply body:\n%s", m.Body)
		}
	})
	t.Run("StateChanges", func(t *testing.T) {
		staff := db.Actor{UserID: 3, Name: "tri@example.org"}
		for _, tc := range []struct {
			to     db.State
			reason string
			want   string // "" for no mail
		}{
			{db.StateNeedsInfo, "Which version is affected?", "Which version is affected?"},
			{db.StateTriaged, "", "reproduced"},
			{db.StateResolved, "", "fixed"},
			{db.StateDisclosed, "", "disclosed"},
			{db.StateDuplicate, "Same as an earlier report.", "closed SEC-1 as duplicate"},
			{db.StateOutOfScope, "The asset is not ours.", "Reason: The asset is not ours."},
			{db.StateNew, "", ""},
		} {
			mails := notify(t, n, &db.Event{Kind: db.EventState, Report: testReport(), FromState: db.StateNew, ToState: tc.to, Reason: tc.reason, Actor: staff})
			if tc.want == "" {
				if len(mails) != 0 {
					t.Errorf("%s: %d mails, want none", tc.to, len(mails))
				}
				continue
			}
			if len(mails) != 1 || !strings.Contains(mails[0].Body, tc.want) || !mails[0].AutoSubmitted || mails[0].Kind != MailState {
				t.Errorf("%s: %d mails, want one saying %q", tc.to, len(mails), tc.want)
				continue
			}
			if tc.reason != "" && !strings.Contains(mails[0].Body, tc.reason) {
				t.Errorf("%s: reason missing", tc.to)
			}
		}
		mails := notify(t, n, &db.Event{Kind: db.EventState, Report: testReport(), FromState: db.StateNeedsInfo, ToState: db.StateTriaged, Actor: db.ActorReporter})
		if len(mails) != 0 {
			t.Error("the reporter is told of the move their own answer caused")
		}
	})
	t.Run("Reminder", func(t *testing.T) {
		mails := notify(t, n, &db.Event{Kind: db.EventReminder, Report: testReport(), Actor: db.ActorSystem})
		if len(mails) != 1 || !strings.Contains(mails[0].Body, "still waiting") || !mails[0].AutoSubmitted {
			t.Fatalf("reminder %+v", mails)
		}
	})
	t.Run("SealedSubjectIsReferenceOnly", func(t *testing.T) {
		mails := notify(t, n, &db.Event{Kind: db.EventReportCreated, Report: testReport(), Sealed: true})
		if got := mails[0].Subject; got != "[SEC-1]" {
			t.Fatalf("subject %q", got)
		}
	})
	t.Run("EncryptedSubjectIsReferenceOnly", func(t *testing.T) {
		en := testNotifier()
		en.Encrypting = true
		r := testReport()
		r.Reporter.PGPKey = "-----BEGIN PGP PUBLIC KEY BLOCK-----"
		mails := notify(t, en, &db.Event{Kind: db.EventReportCreated, Report: r})
		if m := mails[0]; m.Subject != "[SEC-1]" || !m.Encrypt {
			t.Fatalf("subject %q encrypt %t", m.Subject, m.Encrypt)
		}
	})
	t.Run("StaffContentFree", func(t *testing.T) {
		staff := []*db.Recipient{{UserID: 5, Email: "tri@example.org"}, {UserID: 6, Email: "lead@example.org", IncludeTitle: true}}
		r := testReport()
		r.Reporter.Email = ""
		mails := notify(t, n, &db.Event{Kind: db.EventReportCreated, Report: r, Staff: staff})
		if len(mails) != 2 {
			t.Fatalf("%d mails, want 2 staff notices", len(mails))
		}
		if got := mails[0].Subject; got != "[SEC-1] New report" {
			t.Errorf("subject %q", got)
		}
		if got := mails[1].Subject; got != "[SEC-1] New report: Stored XSS in profile name" {
			t.Errorf("subject with title %q", got)
		}
		for _, m := range mails {
			if strings.Contains(m.Body, "Stored XSS") || strings.Contains(m.Body, "secret details") || strings.Contains(m.Body, "alice") {
				t.Errorf("staff notice carries content:\n%s", m.Body)
			}
			if !strings.Contains(m.Body, "https://portal.example.org/triage/reports/SEC-1") || m.UserID == 0 || m.InReplyTo != "" {
				t.Errorf("staff notice %+v", m)
			}
		}
		sealed := notify(t, n, &db.Event{Kind: db.EventReporterMessage, Report: r, Staff: staff, Sealed: true})
		if got := sealed[1].Subject; got != "[SEC-1] Reporter replied" {
			t.Errorf("sealed report's title mailed: %q", got)
		}
		// A mail waiting for a triager is news for staff only.
		r.Reporter.Email = "alice@example.net"
		check := notify(t, n, &db.Event{Kind: db.EventUnverifiedMail, Report: r, Staff: staff})
		if len(check) != 2 || check[0].Subject != "[SEC-1] Mail to check" || check[0].UserID == 0 || check[1].UserID == 0 {
			t.Errorf("unverified mail notices %+v, want one per member and none to the reporter", check)
		}
	})
	t.Run("Digest", func(t *testing.T) {
		m, err := n.Digest(&db.Recipient{UserID: 5, Email: "tri@example.org"}, []*db.DigestItem{
			{Ref: "SEC-1", Event: db.EventReportCreated}, {Ref: "SEC-2", Event: db.EventReporterMessage}, {Ref: "SEC-3", Event: db.EventUnverifiedMail}})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(m.Body, "SEC-1") || !strings.Contains(m.Body, "/triage/reports/SEC-2") || !strings.Contains(m.Body, "SEC-3        mail to check") || !m.AutoSubmitted || m.UserID != 5 {
			t.Fatalf("digest %+v", m)
		}
	})
}
