package views

import (
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/disclose/disclose/db"
)

var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

func testReport() *db.Report {
	return &db.Report{ID: 7, ProgramID: 1, ProgramName: "Security", Prefix: "SEC", Number: 7, Source: db.SourceWeb,
		State: db.StateNew, Title: "Stored XSS in the profile name", Asset: "shop.example", CWE: "CWE-79",
		Description: "The name is rendered unescaped.", Steps: "1. set the name", Version: 3,
		CVSSVector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", CVSSScore: 6.1, Severity: db.SeverityMedium,
		Reporter: db.Reporter{Name: "ada", Email: "ada@example.org", Credit: db.CreditHandle}, CreatedAt: t0}
}

// reporterTimeline is what db.Timeline(publicOnly=false) returns for a
// report with one entry of each kind; the status page must pick what a
// reporter may read.
func reporterTimeline() []*db.Message {
	return []*db.Message{
		{ID: 1, Kind: db.KindInbound, Public: true, Source: db.SourceWeb, Event: "submitted", Body: "", CreatedAt: t0},
		{ID: 2, Kind: db.KindNote, Public: false, AuthorName: "Tom", Body: "internal: looks like a dup of SEC-3", CreatedAt: t0.Add(time.Hour),
			Attachments: []*db.Attachment{{ID: 20, MessageID: 2, Filename: "internal-notes.txt", Size: 10}}},
		{ID: 3, Kind: db.KindReply, Public: true, AuthorName: "Tom", Body: "Thanks, we can reproduce it.", CreatedAt: t0.Add(2 * time.Hour),
			Attachments: []*db.Attachment{{ID: 30, MessageID: 3, Filename: "fix plan.pdf", Size: 2048}}},
		{ID: 4, Kind: db.KindEvent, Public: true, Event: "state", FromState: db.StateNew, ToState: db.StateTriaged, Body: "Confirmed.",
			CreatedAt: t0.Add(3 * time.Hour)},
		{ID: 5, Kind: db.KindEvent, Public: false, Event: "edit:cwe", Body: "Weakness: CWE-79 internal-edit", CreatedAt: t0.Add(4 * time.Hour)},
		{ID: 6, Kind: db.KindInbound, Public: false, Unverified: true, Source: db.SourceEmail, Body: "forged follow-up from a stranger",
			CreatedAt: t0.Add(5 * time.Hour)},
		{ID: 7, Kind: db.KindInbound, Public: true, Source: db.SourceEmail, Body: "Here is more detail.", CreatedAt: t0.Add(6 * time.Hour),
			PGPState: db.PGPDecrypted, PGPSignature: db.SigVerified, PGPSigner: "AAAA BBBB"},
	}
}

func testStatus() Status {
	r := testReport()
	return Status{Page: Page{Title: r.Ref(), CSRF: "csrf-token"}, Report: r, Timeline: reporterTimeline(), Errors: db.FieldErrors{},
		Limits: db.DefaultLimits}
}

func TestStatusPage(t *testing.T) {
	t.Run("TimelineShowsReporterEntriesOnly", func(t *testing.T) {
		p := render(t, StatusView(testStatus()))
		var got []string
		p.testID("timeline").Children().Each(func(_ int, li *goquery.Selection) { got = append(got, text(li.Find(".meta"))) })
		want := []string{
			"1 Mar 2026 10:00 UTC · You sent the report",
			"1 Mar 2026 12:00 UTC · The security team replied",
			"1 Mar 2026 13:00 UTC · Status change",
			"1 Mar 2026 16:00 UTC · You wrote encrypted · signed and verified AAAA BBBB",
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("timeline\n got %q\nwant %q", got, want)
		}
		for _, secret := range []string{"internal: looks like a dup", "internal-notes.txt", "/status/attachments/20",
			"internal-edit", "forged follow-up", "Tom"} {
			if strings.Contains(p.html, secret) {
				t.Errorf("the reporter's page shows %q", secret)
			}
		}
		if got := text(p.doc.Find(`[data-kind=event] .body`)); got != "The report moved to “Triaged”. Confirmed." {
			t.Errorf("state change reads %q", got)
		}
	})

	t.Run("AttachmentsAreDownloads", func(t *testing.T) {
		p := render(t, StatusView(testStatus()))
		a := p.named("a", "fix plan.pdf")
		if got := a.AttrOr("href", ""); got != "/status/attachments/30" {
			t.Errorf("href %q", got)
		}
		if _, ok := a.Attr("download"); !ok {
			t.Errorf("the attachment opens in the page instead of downloading")
		}
		if got := text(a.Parent()); got != "fix plan.pdf (2 KB)" {
			t.Errorf("attachment reads %q", got)
		}
	})

	t.Run("SummaryAndHeadings", func(t *testing.T) {
		p := render(t, StatusView(testStatus()))
		if got := text(p.testID("state")); got != "Received, awaiting triage" {
			t.Errorf("state %q", got)
		}
		want := []string{"h1 SEC-7: Stored XSS in the profile name", "h2 Your report", "h3 Description", "h3 Steps to reproduce",
			"h2 Timeline", "h2 Send a message"}
		if got := p.headings(); strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("headings\n got %q\nwant %q", got, want)
		}
		if got := p.name(p.doc.Find(`form[action="/status/reply"]`)); got != "Send a message" {
			t.Errorf("reply form named %q", got)
		}
		p.named("button", "Send message")
		p.named("button", "Close this report on this browser")
		if p.has("sealed") || p.has("sent") {
			t.Errorf("notices on a plain page")
		}
	})

	t.Run("SealedWhileLocked", func(t *testing.T) {
		m := testStatus()
		m.Report.Locked, m.Report.Title, m.Report.Description = true, db.SealedText, db.SealedText
		p := render(t, StatusView(m))
		if got := p.headings()[0]; got != "h1 SEC-7: your report" {
			t.Errorf("h1 %q: a locked report shows its sealed title", got)
		}
		if !strings.Contains(text(p.testID("sealed")), "stored encrypted") {
			t.Errorf("no sealed notice")
		}
		p.control("Message")
	})

	t.Run("ReplyErrorTiedToField", func(t *testing.T) {
		m := testStatus()
		m.Body = "kept <text>"
		m.Errors = db.FieldErrors{"attachments": "Attach at most 5 files (you chose 6)."}
		p := render(t, StatusView(m))
		p.fieldError("Attachments (optional)", m.Errors["attachments"], true)
		p.valid("Message")
		if got := value(p.control("Message")); got != "kept <text>" {
			t.Errorf("typed message %q after a refusal", got)
		}
		m.Errors = db.FieldErrors{"body": "Write a message or attach a file."}
		p = render(t, StatusView(m))
		p.fieldError("Message", m.Errors["body"], true)
		// db names a file over the limit by a keyed message; the
		// reporter reads the sentence, in the field and in the summary.
		m.Errors = db.FieldErrors{"attachments": db.Keyed(db.MsgFileTooLarge, `"poc.html"`, "2097152", "1048576")}
		p = render(t, StatusView(m))
		p.fieldError("Attachments (optional)", `"poc.html" is 2.0 MB; each file may be at most 1.0 MB.`, true)
		if html, _ := p.doc.Html(); strings.Contains(html, db.MsgFileTooLarge) || strings.ContainsRune(html, 0) {
			t.Errorf("the page shows the raw key")
		}
	})

	t.Run("SentNotice", func(t *testing.T) {
		m := testStatus()
		m.Sent = true
		p := render(t, StatusView(m))
		if got := p.testID("sent").AttrOr("role", ""); got != "status" {
			t.Errorf("the sent notice is not announced: role %q", got)
		}
	})
}

func TestStatusLogin(t *testing.T) {
	p := render(t, StatusLoginView(StatusLogin{Page: Page{Title: "Check a report"}}))
	if got := p.description(p.control("Receipt code")); !strings.HasPrefix(got, "For example") {
		t.Errorf("code described as %q", got)
	}
	p.valid("Receipt code")
	msg := "That receipt code is not right. Check it and try again."
	p = render(t, StatusLoginView(StatusLogin{Page: Page{Title: "Check a report"}, Error: msg}))
	c := p.control("Receipt code")
	if c.AttrOr("aria-invalid", "") != "true" || !strings.HasSuffix(p.description(c), msg) {
		t.Errorf("wrong code: invalid=%q, described as %q", c.AttrOr("aria-invalid", ""), p.description(c))
	}
	if p.testID("error-summary").AttrOr("role", "") != "alert" {
		t.Errorf("the wrong-code message is not an alert")
	}
}
