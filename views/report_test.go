package views

import (
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/disclose/disclose/db"
)

func testPrograms() []*db.Program {
	return []*db.Program{
		{ID: 1, Slug: "security", Name: "Security", Prefix: "SEC", IsDefault: true},
		{ID: 2, Slug: "acme-web", Name: "Acme web shop", Prefix: "ACME", Scope: "shop.acme.example\napi.acme.example\n"},
	}
}

// newReportForm builds the form model the way handlers.newForm does: the
// named program (else the first), its policy link, the limits, a key.
func newReportForm(ps []*db.Program, values map[string]string) *ReportForm {
	f := &ReportForm{Page: Page{Title: "Report a vulnerability", CSRF: "csrf-token"}, Programs: ps, Program: ps[0], Values: values,
		Limits: db.DefaultLimits, MaxBody: 64 << 20, Errors: db.FieldErrors{}, Key: "0123456789abcdef0123456789abcdef"}
	for _, p := range ps {
		if p.Slug == values["program"] {
			f.Program = p
		}
	}
	f.Values["program"] = f.Program.Slug
	f.PolicyURL = "/policy/" + f.Program.Slug
	return f
}

// refused is the 422 path of handlers.submitReport: what was typed goes
// through the real validator, and its errors come back on the form.
func refused(ps []*db.Program, values map[string]string, lim db.Limits) *ReportForm {
	f := newReportForm(ps, values)
	f.Limits = lim
	in := &db.NewReport{ProgramID: f.Program.ID, Source: db.SourceWeb, Title: values["title"], Asset: values["asset"],
		CWE: values["cwe"], Description: values["description"], Steps: values["steps"], Impact: values["impact"],
		CVSSVector: values["cvss"], Reporter: db.Reporter{Name: values["name"], Email: values["email"], Credit: db.Credit(values["credit"])}}
	if in.Asset == "other" {
		in.Asset = values["asset_other"]
	}
	for k, v := range in.Validate(lim) {
		f.Errors[k] = v
	}
	return f
}

// reportLabels are the accessible names of the form's fields (what a
// screen reader says on each), by field name.
var reportLabels = map[string]string{
	"title":       "Title",
	"asset":       "Affected asset or product (optional)",
	"cwe":         "Weakness type (optional)",
	"description": "Description",
	"steps":       "Steps to reproduce (optional, but they help a lot)",
	"impact":      "Impact (optional)",
	"cvss":        "CVSS v3.1 vector (optional)",
	"attachments": "Attachments (optional)",
	"name":        "Name or handle",
	"email":       "Email",
	"pgp_key":     "Your OpenPGP public key",
}

func TestReportForm(t *testing.T) {
	t.Run("EveryFieldLabelled", func(t *testing.T) {
		p := render(t, ReportFormView(newReportForm(testPrograms()[:1], map[string]string{})))
		for field, label := range reportLabels {
			if got := p.control(label).AttrOr("name", ""); got != field {
				t.Errorf("the control labelled %q sends %q, want %q", label, got, field)
			}
		}
		if got := p.description(p.control("Title")); !strings.Contains(got, "One line") {
			t.Errorf("Title is described as %q, want its hint", got)
		}
		for _, label := range []string{"By name", "By handle", "Do not credit me",
			"It is already public (a post, a talk, a public bug tracker)", "I have seen it exploited in the wild"} {
			p.control(label)
		}
		if got := value(p.control("Do not credit me")); got != "checked" {
			t.Errorf("a new form credits the reporter: anonymous is %q", got)
		}
		p.named("fieldset", "How should we credit you?")
		p.named("button", "Send report")
		if got := p.headings(); got[0] != "h1 Report a vulnerability" {
			t.Errorf("headings %q", got)
		}
		// One program: nothing to choose, the form carries it.
		if n := p.countNamed("select", "Program"); n != 0 {
			t.Errorf("a program choice with one program")
		}
		if got := p.doc.Find(`input[type=hidden][name=program]`).AttrOr("value", ""); got != "security" {
			t.Errorf("hidden program %q", got)
		}
	})

	t.Run("ProgramAndScopeChoices", func(t *testing.T) {
		p := render(t, ReportFormView(newReportForm(testPrograms(), map[string]string{"program": "acme-web"})))
		if got := value(p.control("Program")); got != "acme-web" {
			t.Errorf("program %q chosen, want acme-web", got)
		}
		asset := p.control("Affected asset or product (optional)")
		if got := options(asset); got != "|shop.acme.example|api.acme.example|other" {
			t.Errorf("asset choices %q", got)
		}
		if got := p.control("Something else: name it").AttrOr("name", ""); got != "asset_other" {
			t.Errorf("the free asset field sends %q", got)
		}
		if got := p.doc.Find(`nav a`).Last().AttrOr("href", ""); got != "/policy/acme-web" {
			t.Errorf("policy link %q, want the chosen program's", got)
		}
	})

	t.Run("FieldErrorLinkedFromSummary", func(t *testing.T) {
		lim := db.Limits{MaxFiles: 2, MaxFileBytes: 1 << 20, MaxTextRunes: 10}
		f := refused(testPrograms(), map[string]string{"program": "security", "title": "", "asset": strings.Repeat("a", 201),
			"cwe": "CWE-0", "description": "", "steps": "longer than ten", "impact": "longer than ten too",
			"cvss": "CVSS:3.1/AV:N", "name": strings.Repeat("n", 101), "email": "not an address", "credit": "by-name-please"}, lim)
		f.Errors["program"] = "Choose a program from the list."
		f.Errors["attachments"] = "Attach at most 2 files (you chose 3)."
		f.Errors["pgp_key"] = "openpgp: not a public key"
		p := render(t, ReportFormView(f))
		labels := map[string]string{"program": "Program"}
		for k, v := range reportLabels {
			labels[k] = v
		}
		for field, msg := range f.Errors {
			if field == "credit" {
				p.groupError("How should we credit you?", msg, true)
				continue
			}
			label, ok := labels[field]
			if !ok {
				t.Errorf("the validator refuses %q, which the form does not have", field)
				continue
			}
			p.fieldError(label, msg, true)
		}
		summary := p.testID("error-summary")
		if summary.AttrOr("role", "") != "alert" || !strings.Contains(text(summary), "Please correct these fields") {
			t.Errorf("summary %q is not announced as an alert", text(summary))
		}
		// The summary lists the errors in the order of the form.
		var order []string
		summary.Find("a").Each(func(_ int, s *goquery.Selection) { order = append(order, s.AttrOr("href", "")) })
		if got, want := strings.Join(order, " "), "#f-program #f-title #f-asset #f-cwe #f-description #f-steps #f-impact #f-cvss #f-attachments #f-name #f-email #f-pgp_key #f-credit"; got != want {
			t.Errorf("summary order\n got %s\nwant %s", got, want)
		}
	})

	t.Run("OneErrorLeavesOtherFieldsValid", func(t *testing.T) {
		f := refused(testPrograms()[:1], map[string]string{"title": "XSS", "description": "d", "email": "x@"}, db.DefaultLimits)
		p := render(t, ReportFormView(f))
		p.fieldError("Email", "Give an email address like name@example.org, or leave it empty.", true)
		if got := text(p.testID("error-summary").Find("strong")); !strings.Contains(got, "this field:") {
			t.Errorf("one error, summary says %q", got)
		}
		for _, label := range []string{"Title", "Description", "Name or handle", "Your OpenPGP public key"} {
			p.valid(label)
		}
		if got := p.description(p.control("Email")); !strings.HasPrefix(got, "We write to you") {
			t.Errorf("an error hides the hint: Email described as %q", got)
		}
	})

	t.Run("FormErrorIsText", func(t *testing.T) {
		f := newReportForm(testPrograms()[:1], map[string]string{"title": "t"})
		f.Errors["form"] = "This report looks automated and was not sent."
		p := render(t, ReportFormView(f))
		if got := text(p.testID("error-summary").Find("li")); got != f.Errors["form"] {
			t.Errorf("form error %q", got)
		}
		if n := p.testID("error-summary").Find("a").Length(); n != 0 {
			t.Errorf("a form error links to a field")
		}
	})

	t.Run("TypedValuesKeptOn422", func(t *testing.T) {
		typed := map[string]string{"program": "acme-web", "title": "Stored XSS", "asset": "other", "asset_other": "mail.acme.example",
			"cwe": "CWE-79", "description": "The name is <b>unescaped</b>.", "steps": "1. log in\n2. set name", "impact": "session theft",
			"cvss": "CVSS:3.1/AV:N", "name": "ada", "email": "ada@example.org", "pgp_key": "-----BEGIN PGP PUBLIC KEY BLOCK-----",
			"credit": "handle", "already_public": "yes", "exploited": ""}
		want := map[string]string{}
		for k, v := range typed {
			want[k] = v
		}
		f := refused(testPrograms(), typed, db.DefaultLimits)
		p := render(t, ReportFormView(f))
		p.fieldError("CVSS v3.1 vector (optional)", f.Errors["cvss"], true)
		for field, label := range map[string]string{"program": "Program", "title": "Title", "asset": "Affected asset or product (optional)",
			"asset_other": "Something else: name it", "cwe": "Weakness type (optional)", "description": "Description",
			"steps": "Steps to reproduce (optional, but they help a lot)", "impact": "Impact (optional)", "cvss": "CVSS v3.1 vector (optional)",
			"name": "Name or handle", "email": "Email", "pgp_key": "Your OpenPGP public key"} {
			if got := value(p.control(label)); got != want[field] {
				t.Errorf("%s: shows %q, typed %q", label, got, want[field])
			}
		}
		for label, want := range map[string]string{"By handle": "checked", "Do not credit me": "",
			"It is already public (a post, a talk, a public bug tracker)": "checked", "I have seen it exploited in the wild": ""} {
			if got := value(p.control(label)); got != want {
				t.Errorf("%s: %q, want %q", label, got, want)
			}
		}
		if got := p.doc.Find(`input[name=key]`).AttrOr("value", ""); got != "0123456789abcdef0123456789abcdef" {
			t.Errorf("the submission key changed on re-render: %q", got)
		}
		// Typed markup stays text.
		if strings.Contains(p.html, "<b>unescaped") {
			t.Errorf("typed markup reached the page unescaped")
		}
	})

	t.Run("TypedScopeAssetKept", func(t *testing.T) {
		p := render(t, ReportFormView(newReportForm(testPrograms(), map[string]string{"program": "acme-web", "asset": "api.acme.example"})))
		if got := value(p.control("Affected asset or product (optional)")); got != "api.acme.example" {
			t.Errorf("asset %q", got)
		}
		// An asset typed for a program without this scope entry reads as "other".
		p = render(t, ReportFormView(newReportForm(testPrograms(), map[string]string{"program": "acme-web", "asset": "old.acme.example"})))
		if got := value(p.control("Affected asset or product (optional)")); got != "other" {
			t.Errorf("unknown asset shows %q, want other", got)
		}
	})

	t.Run("FilesDroppedAskedAgain", func(t *testing.T) {
		f := refused(testPrograms()[:1], map[string]string{"title": ""}, db.DefaultLimits)
		f.FilesDropped = true
		p := render(t, ReportFormView(f))
		if got := p.doc.Find(`[role=status]`).Text(); !strings.Contains(got, "choose your attachments again") {
			t.Errorf("no notice that files must be chosen again: %q", got)
		}
	})

	t.Run("HoneypotHiddenFromAssistiveTech", func(t *testing.T) {
		f := newReportForm(testPrograms()[:1], map[string]string{"website": "http://spam.example"})
		p := render(t, ReportFormView(f))
		hp := p.doc.Find(`input[name=website]`)
		if hp.Length() != 1 {
			t.Fatalf("%d honeypot fields", hp.Length())
		}
		if hp.ParentsFiltered(`[aria-hidden="true"]`).Length() == 0 {
			t.Errorf("the honeypot is not hidden from screen readers")
		}
		if hp.AttrOr("tabindex", "") != "-1" || hp.AttrOr("autocomplete", "") != "off" {
			t.Errorf("the honeypot can be reached by Tab or filled by autofill")
		}
		if _, ok := hp.Attr("value"); ok {
			t.Errorf("the honeypot is filled again on re-render")
		}
		if p.doc.Find(`[aria-hidden="true"] input, [aria-hidden="true"] select, [aria-hidden="true"] textarea`).Length() != 1 {
			t.Errorf("a real field is hidden from screen readers")
		}
	})

	t.Run("NoInlineScriptOrStyle", func(t *testing.T) {
		typed := map[string]string{"title": `"><script>alert(1)</script>`, "description": `</textarea><script>alert(2)</script>`,
			"name": `" onfocus="alert(3)`, "cvss": "x"}
		p := render(t, ReportFormView(refused(testPrograms()[:1], typed, db.DefaultLimits)))
		// render fails on inline scripts, styles and handlers; the typed
		// values must also come back as the same text.
		if n := p.doc.Find("script").Length(); n != 1 || p.doc.Find("script").AttrOr("src", "") == "" {
			t.Errorf("%d scripts; want the one external print script", n)
		}
		for label, want := range map[string]string{"Title": typed["title"], "Description": typed["description"], "Name or handle": typed["name"]} {
			if got := value(p.control(label)); got != want {
				t.Errorf("%s: %q, typed %q", label, got, want)
			}
		}
	})
}

func TestReceipt(t *testing.T) {
	t.Run("CodeShownOnce", func(t *testing.T) {
		m := Receipt{Page: Page{Title: "Report received"}, Ref: "SEC-7", Code: "ABCD-EFGH-IJKL-MNOP-QRST-UVWX-YZ", Email: true}
		p := render(t, ReceiptView(m))
		if got := text(p.testID("code")); got != m.Code {
			t.Errorf("code %q", got)
		}
		if n := strings.Count(p.html, m.Code); n != 1 {
			t.Errorf("the code is on the page %d times, want once", n)
		}
		if got := text(p.testID("code").Prev()); got != "Receipt code" {
			t.Errorf("the code is labelled %q", got)
		}
		if got := text(p.testID("ref")); got != "SEC-7" {
			t.Errorf("ref %q", got)
		}
		section := p.doc.Find("section.receipt")
		if got := p.name(section); got != "Your receipt" {
			t.Errorf("receipt region named %q", got)
		}
		if got := p.headings(); got[0] != "h1 Thank you: your report was received" {
			t.Errorf("headings %q", got)
		}
		if !strings.Contains(text(p.doc.Find("p.lead")), "write to the email address you gave") {
			t.Errorf("no word about the email address")
		}
		p.named("a", "Check your report")
	})
	t.Run("AlreadyReceivedShowsNoCode", func(t *testing.T) {
		p := render(t, ReceiptView(Receipt{Page: Page{Title: "Report already received"}, Ref: "SEC-7", Already: true}))
		if p.has("code") {
			t.Errorf("a second send shows a receipt code")
		}
		if got := p.headings(); len(got) != 1 || got[0] != "h1 This report was already received" {
			t.Errorf("headings %q", got)
		}
		if got := text(p.testID("ref")); got != "SEC-7" {
			t.Errorf("ref %q", got)
		}
	})
}
