package views

import (
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/disclose/disclose/db"
)

// staffTimeline is db.Timeline(publicOnly=false) of a report that saw one
// entry of each kind.
func staffTimeline() []*db.Message {
	at := func(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }
	return []*db.Message{
		{ID: 1, Kind: db.KindInbound, Public: true, Source: db.SourceWeb, Event: "submitted", CreatedAt: at(0)},
		{ID: 2, Kind: db.KindInbound, Public: true, Source: db.SourceEmail, Body: "More detail, signed.", CreatedAt: at(1),
			PGPState: db.PGPDecrypted, PGPSignature: db.SigVerified, PGPSigner: "0123 4567 89AB CDEF 0123  4567 89AB CDEF 0123 4567"},
		{ID: 3, Kind: db.KindReply, Public: true, AuthorName: "Tom", Body: "We can reproduce it.", CreatedAt: at(2),
			Attachments: []*db.Attachment{{ID: 31, MessageID: 3, Filename: "patch.diff", Size: 2048,
				SHA256: "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789"}}},
		{ID: 4, Kind: db.KindNote, Public: false, AuthorName: "Tom", Body: "Looks like SEC-3 again.", CreatedAt: at(3)},
		{ID: 5, Kind: db.KindEvent, Public: true, AuthorName: "Tom", Event: "state", FromState: db.StateNew, ToState: db.StateTriaged,
			Body: "Confirmed.", CreatedAt: at(4)},
		{ID: 6, Kind: db.KindEvent, Public: false, Event: "mail.failed", Body: "The reply mail to the reporter could not be delivered: 550",
			CreatedAt: at(5)},
		{ID: 7, Kind: db.KindEvent, Public: false, Event: "edit:cwe", Body: "Weakness: CWE-79 Cross-site Scripting", CreatedAt: at(6)},
		{ID: 8, Kind: db.KindInbound, Public: false, Unverified: true, Source: db.SourceEmail, Body: "Please send the report to me.",
			CreatedAt: at(7)},
	}
}

func testTriageReport(u *db.User) TriageReport {
	r := testReport()
	m := TriageReport{StaffPage: staffPage(u, r.Ref(), "queue"), Report: r, Limits: db.DefaultLimits, NowAt: t0.Add(24 * time.Hour),
		Details: &db.ReportDetails{AssigneeID: 2, Assignee: "Tom", DisclosureTZ: "Europe/Paris"}, Timeline: staffTimeline(),
		RawMail:   map[int64]int64{2: 200, 8: 800},
		Deadlines: []db.Deadline{{Kind: db.DeadlineTriage, Due: t0.Add(72 * time.Hour), Status: db.DeadlineOK}},
		Similar:   []*db.SimilarReport{{ID: 3, Ref: "SEC-3", Title: "XSS in profile", State: db.StateDuplicate}},
		Errors:    db.FieldErrors{}}
	// As handlers.renderTriageReport: the forms for those who may write.
	if m.CanWrite = u.Role != db.RoleViewer; m.CanWrite {
		m.Next = r.State.Next()
		m.Assignees = []*db.User{testAdmin, testTriager}
	}
	return m
}

// entry is the timeline item of message id.
func (p *page) entry(id string) *goquery.Selection {
	p.t.Helper()
	s := p.testID("timeline").Find("li#m" + id)
	if s.Length() != 1 {
		p.t.Fatalf("no timeline entry m%s", id)
	}
	return s
}

func TestTriageTimeline(t *testing.T) {
	p := render(t, TriageReportView(testTriageReport(testTriager)))
	for _, c := range []struct{ name, id, meta, body string }{
		{"Inbound", "1", "2026-03-01 10:00 UTC · Report received (web)", ""},
		{"InboundMail", "2", "2026-03-01 11:00 UTC · Reporter wrote (email) encrypted · signed and verified 0123 4567 89AB CDEF 0123 4567 89AB CDEF 0123 4567", "More detail, signed."},
		{"OutboundReply", "3", "2026-03-01 12:00 UTC · Public reply by Tom", "We can reproduce it."},
		{"InternalNote", "4", "2026-03-01 13:00 UTC · Internal note by Tom Internal", "Looks like SEC-3 again."},
		{"StateChange", "5", "2026-03-01 14:00 UTC · State change by Tom", "New → Triaged Confirmed."},
		{"SystemEvent", "6", "2026-03-01 15:00 UTC · Mail intake Internal", "The reply mail to the reporter could not be delivered: 550"},
		{"Edit", "7", "2026-03-01 16:00 UTC · Edit by the system Internal", "Weakness: CWE-79 Cross-site Scripting"},
		{"UnverifiedMail", "8", "2026-03-01 17:00 UTC · Reporter wrote (email) Unverified", "Please send the report to me."},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := p.entry(c.id)
			if got := text(e.Find(".meta")); got != c.meta {
				t.Errorf("reads\n %q\nwant\n %q", got, c.meta)
			}
			if got := text(e.Find(".body")); got != c.body {
				t.Errorf("body %q, want %q", got, c.body)
			}
		})
	}
	t.Run("InternalMarked", func(t *testing.T) {
		for id, internal := range map[string]bool{"1": false, "2": false, "3": false, "4": true, "5": false, "6": true, "7": true, "8": true} {
			e := p.entry(id)
			if got := e.HasClass("internal"); got != internal {
				t.Errorf("m%s: internal %v, want %v", id, got, internal)
			}
		}
		if got := text(p.entry("8").Find(".badge")); got != "Unverified" {
			t.Errorf("the unverified mail is badged %q, want only Unverified", got)
		}
	})
	t.Run("AttachmentsAreDownloads", func(t *testing.T) {
		a := p.named("a", "patch.diff")
		if got := a.AttrOr("href", ""); got != "/triage/reports/SEC-7/attachments/31" {
			t.Errorf("href %q", got)
		}
		if _, ok := a.Attr("download"); !ok {
			t.Errorf("the attachment opens in the page")
		}
		if got := text(a.Parent()); got != "patch.diff (2 KB, abcdef012345…)" {
			t.Errorf("reads %q", got)
		}
		if got := a.Parent().Find(`[title]`).AttrOr("title", ""); got != "SHA-256" {
			t.Errorf("hash titled %q", got)
		}
	})
	t.Run("OriginalMailLinks", func(t *testing.T) {
		for _, id := range []string{"2", "8"} {
			a := p.entry(id).Find("a")
			if text(a) != "Original mail (.eml)" || a.AttrOr("href", "") != "/triage/reports/SEC-7/mail/"+id {
				t.Errorf("m%s: link %q to %q", id, text(a), a.AttrOr("href", ""))
			}
		}
		if n := p.countNamed("a", "Original mail (.eml)"); n != 2 {
			t.Errorf("%d original-mail links, want the 2 mails", n)
		}
	})
}

func TestTriageUnverifiedMail(t *testing.T) {
	p := render(t, TriageReportView(testTriageReport(testTriager)))
	box := p.testID("unverified")
	if box.Closest("li").AttrOr("id", "") != "m8" {
		t.Fatalf("the unverified notice is not on the unverified entry")
	}
	if !strings.Contains(text(box), "The reporter does not see it") {
		t.Errorf("the notice does not say the reporter cannot see it: %q", text(box))
	}
	btn := p.named("button", "Accept as the reporter’s mail")
	form := btn.Closest("form")
	if form.AttrOr("method", "") != "post" || form.AttrOr("action", "") != "/triage/reports/SEC-7/entries/8/accept" {
		t.Errorf("accept posts to %q", form.AttrOr("action", ""))
	}
	if form.Find(`input[name=csrf]`).AttrOr("value", "") != "csrf-token" {
		t.Errorf("the accept form has no CSRF token")
	}

	t.Run("NoAcceptForViewers", func(t *testing.T) {
		p := render(t, TriageReportView(testTriageReport(testViewer)))
		p.testID("unverified")
		if p.has("accept-mail") {
			t.Errorf("a viewer can accept a mail")
		}
		if !strings.Contains(text(p.testID("read-only")), "read-only") {
			t.Errorf("no read-only notice")
		}
		if p.doc.Find(`form[method=post]`).Length() != 1 { // sign out only
			t.Errorf("a viewer gets %d POST forms", p.doc.Find(`form[method=post]`).Length())
		}
	})
}

func TestTriagePGPLabels(t *testing.T) {
	const fp = "0123 4567 89AB CDEF 0123  4567 89AB CDEF 0123 4567"
	for _, c := range []struct {
		name   string
		e      db.Message
		label  string
		class  string
		signer bool
		note   string
	}{
		{"Plain", db.Message{}, "", "", false, ""},
		{"Encrypted", db.Message{PGPState: db.PGPDecrypted}, "encrypted", "ok", false, ""},
		{"VerifiedWithFingerprint", db.Message{PGPState: db.PGPDecrypted, PGPSignature: db.SigVerified, PGPSigner: fp},
			"encrypted · signed and verified", "ok", true, ""},
		{"IntegrityOnly", db.Message{PGPSignature: db.SigIntegrity, PGPSigner: fp}, "signed, key not bound to the reporter", "warn", true, ""},
		{"UnknownKey", db.Message{PGPSignature: db.SigUnknownKey, PGPSigner: fp}, "signed, key unknown", "warn", false, ""},
		{"BadSignature", db.Message{PGPSignature: db.SigBad, PGPSigner: fp}, "bad signature", "bad", false, ""},
		{"Pending", db.Message{PGPState: db.PGPPending, PGPNote: "waiting for the team key"},
			"encrypted; will be decrypted when the team key is unlocked", "warn", false, "waiting for the team key"},
		{"Failed", db.Message{PGPState: db.PGPFailed, PGPNote: "no key for this message"},
			"encrypted; could not be decrypted", "bad", false, "no key for this message"},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := testTriageReport(testTriager)
			e := c.e
			e.ID, e.Kind, e.Public, e.Source, e.Body, e.CreatedAt = 2, db.KindInbound, true, db.SourceEmail, "text", t0
			m.Timeline = []*db.Message{&e}
			p := render(t, TriageReportView(m))
			entry := p.entry("2")
			badge := entry.Find(`[data-testid="pgp"]`)
			if c.label == "" {
				if badge.Length() != 0 {
					t.Fatalf("plain mail badged %q", text(badge))
				}
				return
			}
			if got := text(badge); got != c.label {
				t.Errorf("label %q, want %q", got, c.label)
			}
			if !badge.HasClass(c.class) {
				t.Errorf("class %q, want %q", badge.AttrOr("class", ""), c.class)
			}
			signer := entry.Find(`[data-testid="pgp-signer"]`)
			if c.signer != (signer.Length() == 1) || (c.signer && text(signer) != strings.Join(strings.Fields(fp), " ")) {
				t.Errorf("signer shown %q, want shown=%v", text(signer), c.signer)
			}
			if got := text(entry.Find(`[data-testid="pgp-note"]`)); got != c.note {
				t.Errorf("note %q, want %q", got, c.note)
			}
		})
	}
}

func TestTriageSealed(t *testing.T) {
	t.Run("LockedShowsPlaceholders", func(t *testing.T) {
		m := testTriageReport(testTriager)
		r := m.Report
		r.Sealed, r.Locked = true, true
		r.Title, r.Asset, r.Description, r.Steps, r.Impact = db.SealedText, db.SealedText, db.SealedText, db.SealedText, ""
		m.Details.Sealed = true
		m.Timeline = []*db.Message{
			{ID: 1, Kind: db.KindInbound, Public: true, Source: db.SourceWeb, Event: "submitted", CreatedAt: t0},
			{ID: 2, Kind: db.KindInbound, Public: true, Source: db.SourceEmail, Sealed: true, Body: db.SealedText, CreatedAt: t0,
				Attachments: []*db.Attachment{{ID: 5, MessageID: 2, Filename: db.SealedText, Size: 10}}},
		}
		p := render(t, TriageReportView(m))
		if got := p.headings()[0]; got != "h1 SEC-7: "+db.SealedText {
			t.Errorf("h1 %q", got)
		}
		if got := text(p.testID("description")); got != db.SealedText {
			t.Errorf("description %q", got)
		}
		if got := text(p.entry("2").Find(".body")); got != db.SealedText {
			t.Errorf("entry body %q", got)
		}
		notice := text(p.testID("sealed"))
		if !strings.Contains(notice, "sealed") || !strings.Contains(notice, "locked") {
			t.Errorf("the notice %q does not say the report is sealed and the key locked", notice)
		}
	})
	t.Run("UnlockedSaysSealed", func(t *testing.T) {
		m := testTriageReport(testTriager)
		m.Report.Sealed, m.Details.Sealed = true, true
		p := render(t, TriageReportView(m))
		if notice := text(p.testID("sealed")); strings.Contains(notice, "locked") {
			t.Errorf("an unlocked report says %q", notice)
		}
		if got := p.headings()[0]; got != "h1 SEC-7: Stored XSS in the profile name" {
			t.Errorf("h1 %q", got)
		}
	})
}

func TestTriageReportPage(t *testing.T) {
	p := render(t, TriageReportView(testTriageReport(testTriager)))
	t.Run("Headings", func(t *testing.T) {
		want := []string{"h1 SEC-7: Stored XSS in the profile name", "h2 Report", "h3 Reporter", "h3 Description",
			"h3 Steps to reproduce", "h2 Deadlines", "h2 Possible duplicates", "h2 Timeline", "h2 Reply to the reporter", "h2 Internal note", "h2 Change state", "h2 Assignee", "h2 Classification"}
		if got := p.headings(); strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("headings\n got %q\nwant %q", got, want)
		}
	})
	t.Run("FormsNamedByHeadings", func(t *testing.T) {
		for action, name := range map[string]string{"reply": "Reply to the reporter", "note": "Internal note", "state": "Change state",
			"assign": "Assignee", "fields": "Classification"} {
			f := p.doc.Find(`form[action="/triage/reports/SEC-7/` + action + `"]`)
			if got := p.name(f); got != name {
				t.Errorf("%s form named %q, want %q", action, got, name)
			}
			if f.Find(`input[name=version]`).AttrOr("value", "") != "3" || f.Find(`input[name=csrf]`).Length() != 1 {
				t.Errorf("%s form lacks its version or CSRF token", action)
			}
		}
		for _, b := range []string{"Send public reply", "Add internal note", "Change state", "Save assignee", "Save classification"} {
			p.named("button", b)
		}
	})
	t.Run("ReplyAndNoteSayWhoReads", func(t *testing.T) {
		if got := p.description(p.control("Reply")); !strings.HasPrefix(got, "Public:") {
			t.Errorf("reply described as %q", got)
		}
		if got := p.description(p.control("Note")); !strings.HasPrefix(got, "Staff only") {
			t.Errorf("note described as %q", got)
		}
		if n := p.countNamed("input", "Attachments (optional)"); n != 2 {
			t.Errorf("%d attachment fields named, want one per form", n)
		}
	})
	t.Run("CurrentValues", func(t *testing.T) {
		for label, want := range map[string]string{"Assign to": "2", "Asset": "shop.example", "Weakness (CWE)": "CWE-79",
			"CVSS vector": testReport().CVSSVector, "Time zone": "Europe/Paris", "New state": ""} {
			if got := value(p.control(label)); got != want {
				t.Errorf("%s: %q, want %q", label, got, want)
			}
		}
		if got := text(p.testID("assignee")); got != "Tom" {
			t.Errorf("assignee %q", got)
		}
		if got := text(p.testID("deadlines")); got != "Triage: in 2 d 2026-03-04 10:00 UTC" {
			t.Errorf("deadlines %q", got)
		}
		if got := p.named("a", "SEC-3").AttrOr("href", ""); got != "/triage/reports/SEC-3" {
			t.Errorf("similar report link %q", got)
		}
	})
}

// TestTriageFormErrors sends each action form back with the errors the
// db refuses it with, the way handlers.triageAction does.
func TestTriageFormErrors(t *testing.T) {
	for _, c := range []struct {
		form   string
		values map[string]string
		errs   map[string]string // label → message
		keys   db.FieldErrors
	}{
		{"reply", map[string]string{"body": ""}, map[string]string{"Reply": "Write a message or attach a file."},
			db.FieldErrors{"body": "Write a message or attach a file."}},
		{"note", map[string]string{"body": ""},
			map[string]string{"Note": "Write a message or attach a file.", "Attachments (optional)": "Attach at most 5 files (you chose 6)."},
			db.FieldErrors{"body": "Write a message or attach a file.", "attachments": "Attach at most 5 files (you chose 6)."}},
		{"state", map[string]string{"to": "duplicate", "reason": "", "duplicate_of": "SEC-7"},
			map[string]string{"New state": "Choose a state from the list.", "Reason (shown to the reporter; required to close)": "Closing a report needs a reason; the reporter reads it.",
				"Original report (for duplicates, like SEC-12)": "A report cannot be a duplicate of itself."},
			db.FieldErrors{"to": "Choose a state from the list.", "reason": "Closing a report needs a reason; the reporter reads it.",
				"duplicate_of": "A report cannot be a duplicate of itself."}},
		// A move the table refuses comes from db as a keyed message,
		// worded with the states as people read them.
		{"state", map[string]string{"to": "new", "reason": "r"},
			map[string]string{"New state": `A report in state "Resolved" cannot move to "New".`},
			db.FieldErrors{"to": db.Keyed(db.MsgTransition, string(db.StateResolved), string(db.StateNew))}},
		{"assign", map[string]string{"assignee": "3"}, map[string]string{"Assign to": "Choose a triager of this program or an admin."},
			db.FieldErrors{"assignee": "Choose a triager of this program or an admin."}},
		{"fields", map[string]string{"asset": "x", "cwe": "CWE-0", "cvss": "CVSS:3.1/AV:N", "cve": "CVE-12", "disclosure_date": "2025-13-45",
			"disclosure_time": "", "disclosure_zone": "Mars/Olympus", "credit": "c"},
			map[string]string{"Asset": "Keep the asset under 200 characters.", "Weakness (CWE)": "Choose a weakness type from the list, or leave it empty.",
				"CVSS vector": "not a vector", "CVE ID": "Give a CVE ID like CVE-2025-12345.", "Date": "Give the date as YYYY-MM-DD.",
				"Credit line": "Keep the credit line under 200 characters."},
			db.FieldErrors{"asset": "Keep the asset under 200 characters.", "cwe": "Choose a weakness type from the list, or leave it empty.",
				"cvss": "not a vector", "cve": "Give a CVE ID like CVE-2025-12345.", "disclosure": "Give the date as YYYY-MM-DD.",
				"credit": "Keep the credit line under 200 characters."}},
	} {
		t.Run(c.form, func(t *testing.T) {
			m := testTriageReport(testTriager)
			m.Form, m.Values, m.Errors = c.form, c.values, c.keys
			p := render(t, TriageReportView(m))
			if n := p.doc.Find(`[data-testid="error-summary"]`).Length(); n != 1 {
				t.Fatalf("%d error summaries, want the one of the refused form", n)
			}
			form := p.testID("error-summary").Closest("form")
			if got := form.AttrOr("action", ""); got != m.Action(c.form) {
				t.Errorf("the summary is in the form %q", got)
			}
			for label, msg := range c.errs {
				p.errorOn(p.controlIn(form, label), label, msg, true)
			}
			// What was typed comes back in the refused form (a select
			// cannot show a value it has no option for).
			for name, v := range c.values {
				s := form.Find(`[name="` + name + `"]`)
				if goquery.NodeName(s) == "select" && !strings.Contains("|"+options(s)+"|", "|"+v+"|") {
					continue
				}
				if got := value(s); got != v {
					t.Errorf("%s: %q, typed %q", name, got, v)
				}
			}
			if c.form != "reply" {
				p.valid("Reply")
			}
		})
	}
}

func TestTriageReportModel(t *testing.T) {
	m := TriageReport{Report: &db.Report{Prefix: "SEC", Number: 12}, Form: "state", Values: map[string]string{"to": "spam"},
		Errors: db.FieldErrors{"to": "bad"}, Details: &db.ReportDetails{}}
	for _, c := range []struct{ name, got, want string }{
		{"V of the sent form", m.V("state", "to", "new"), "spam"},
		{"V of another form", m.V("fields", "asset", "shop"), "shop"},
		{"Action", m.Action("reply"), "/triage/reports/SEC-12/reply"},
		{"DisclosureText unset", m.DisclosureText(), "not set"},
		{"DisclosureDate unset", m.DisclosureDate(), ""},
	} {
		if c.got != c.want {
			t.Errorf("%s: %q, want %q", c.name, c.got, c.want)
		}
	}
	if len(m.E("state")) != 1 || len(m.E("reply")) != 0 {
		t.Errorf("E gives errors to the wrong form")
	}
	// The disclosure date reads in the report's own zone.
	m.Details = &db.ReportDetails{DisclosureAt: time.Date(2026, 6, 30, 22, 30, 0, 0, time.UTC), DisclosureTZ: "Europe/Paris"}
	if got, want := m.DisclosureDate()+" "+m.DisclosureTime(), "2026-07-01 00:30"; got != want {
		t.Errorf("Paris date %q, want %q", got, want)
	}
	if got, want := m.DisclosureText(), "Wed 1 July 2026 00:30 Europe/Paris"; got != want {
		t.Errorf("DisclosureText %q, want %q", got, want)
	}
	// A zone the system does not know falls back to UTC instead of failing.
	m.Details.DisclosureTZ = "Mars/Olympus"
	if got := m.DisclosureTime(); got != "22:30" {
		t.Errorf("unknown zone: %q", got)
	}
}

// TestTriageConflictKeepsTyped: a form sent from an old version of the
// report is refused with "What you typed is kept in the form below", so
// each form must show what was typed, the assignee choice too.
func TestTriageConflictKeepsTyped(t *testing.T) {
	for _, c := range []struct {
		form, label, name, typed string
	}{
		{"assign", "Assign to", "assignee", "1"},
		{"assign", "Assign to", "assignee", ""},
		{"state", "New state", "to", "triaged"},
		{"fields", "Asset", "asset", "api.example"},
		{"note", "Note", "body", "typed before the conflict"},
	} {
		t.Run(c.form+"/"+c.typed, func(t *testing.T) {
			m := testTriageReport(testTriager)
			m.Form, m.Values = c.form, map[string]string{c.name: c.typed}
			m.Conflict = "Someone changed this report while you were editing it. What you typed is kept in the form below."
			p := render(t, TriageReportView(m))
			if got := p.testID("conflict").AttrOr("role", ""); got != "alert" {
				t.Errorf("the conflict is not an alert")
			}
			form := p.doc.Find(`form[action="` + m.Action(c.form) + `"]`)
			if got := value(p.controlIn(form, c.label)); got != c.typed {
				t.Errorf("%s shows %q, typed %q", c.label, got, c.typed)
			}
		})
	}
}
