package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/disclose/disclose/db"
)

// TestPagesAccessible renders the pages researchers, triagers and admins
// use, through the real routes, and checks what an offline accessibility
// pass can check on the markup: a language, one h1, the landmarks, a label
// for every control, ids that are unique and references that resolve, error
// summaries that link to their fields, and nothing the strict CSP would
// block (inline style attributes, inline script).
func TestPagesAccessible(t *testing.T) {
	env := newPortal(t)
	env.mustUser(t, "admin@example.org", db.RoleAdmin)
	pub := env.browser(t)

	check := func(name string, p page, wantStatus int) {
		t.Run(name, func(t *testing.T) {
			if got, want := p.Status, wantStatus; got != want {
				t.Fatalf("status %d, want %d", got, want)
			}
			doc, err := goquery.NewDocumentFromReader(strings.NewReader(p.Body))
			if err != nil {
				t.Fatal(err)
			}
			for _, problem := range a11yProblems(doc) {
				t.Error(problem)
			}
		})
	}

	check("Landing", pub.get("/"), http.StatusOK)
	check("Policy", pub.get("/policy"), http.StatusOK)
	form := pub.get("/report")
	check("ReportForm", form, http.StatusOK)
	key := regexpFind(`name="key" value="([^"]*)"`, form.Body)
	check("ReportFormErrors", pub.post("/report", url.Values{"key": {key}, "cvss": {"CVSS:3.1/AV:N"}, "email": {"nope"}}), http.StatusUnprocessableEntity)
	pub.get("/report")
	receipt := pub.post("/report", url.Values{"key": {key}, "title": {"Stored XSS in the profile name"},
		"description": {"The name is rendered unescaped."}, "credit": {"anonymous"}})
	check("Receipt", receipt, http.StatusOK)
	code := regexpFind(`data-testid="code">([^<]+)<`, receipt.Body)
	ref := regexpFind(`data-testid="ref">([^<]+)<`, receipt.Body)
	check("StatusForm", pub.get("/status"), http.StatusOK)
	check("StatusWrongCode", pub.post("/status", url.Values{"code": {"AAAA-BBBB"}}), http.StatusUnauthorized)
	if got := pub.post("/status", url.Values{"code": {code}}); got.Status == http.StatusSeeOther {
		check("Status", pub.get(got.Location), http.StatusOK)
	} else {
		check("Status", got, http.StatusOK)
	}
	check("NotFound", pub.get("/no-such-page"), http.StatusNotFound)
	check("Login", pub.get("/login"), http.StatusOK)
	check("LoginWrong", pub.post("/login", url.Values{"email": {"admin@example.org"}, "password": {"wrong password!"}}), http.StatusUnauthorized)

	staff := env.browser(t)
	staff.mustLogin("admin@example.org")
	for _, path := range []string{
		"/triage", "/triage?q=nothing-matches-this", "/triage/reports/" + ref, "/triage/metrics", "/triage/metrics?org=default&from=2025-01", "/orgs/default/metrics",
		"/admin/users", "/admin/programs", "/admin/programs/new", "/admin/audit", "/admin/intake",
		"/admin/outbox", "/admin/retention", "/admin/settings", "/admin/key", "/account/2fa", "/account/notifications",
		"/account/password", "/account/sessions", "/account/reauth?next=/account/2fa",
	} {
		check("Staff"+path, staff.get(path), http.StatusOK)
	}
	// Report forms sent back with errors: each summary link must reach its
	// field (reply and note share field names, so their ids are prefixed).
	version := regexpFind(`name="version" value="([^"]*)"`, staff.get("/triage/reports/"+ref).Body)
	for _, form := range []struct{ action, field, value string }{
		{"reply", "body", ""}, {"note", "body", ""}, {"fields", "cvss", "CVSS:3.1/AV:N"},
		{"fields", "cve", "CVE-12"}, {"fields", "disclosure_date", "2025-13-45"}, {"state", "to", "no-such-state"},
	} {
		p := staff.post("/triage/reports/"+ref+"/"+form.action, url.Values{"version": {version}, form.field: {form.value}})
		if !strings.Contains(p.Body, `data-testid="error-summary"`) {
			t.Errorf("%s with a bad %s: no error summary (status %d)", form.action, form.field, p.Status)
		}
		check("ReportErrors/"+form.action, p, http.StatusUnprocessableEntity)
	}
	staff.get("/account/password")
	check("AccountErrors/password", staff.post("/account/password", url.Values{"current": {"wrong password"}, "password": {"short"}, "password2": {"other"}}), http.StatusUnprocessableEntity)
	check("AccountErrors/reauth", staff.post("/account/reauth", url.Values{"password": {"wrong password"}}), http.StatusUnprocessableEntity)
	env.clock.Advance(env.DB.Auth.ReauthWindow)
	check("Account/2fa-reauth", staff.get("/account/2fa"), http.StatusOK)
	staff.get("/admin/users")
	check("AdminErrors/invite", staff.post("/admin/users", url.Values{"email": {"not an address"}, "role": {"triager"}}), http.StatusUnprocessableEntity)
	staff.get("/admin/programs/new")
	check("AdminErrors/program", staff.post("/admin/programs", url.Values{"name": {""}, "slug": {"Bad Slug"}, "prefix": {"bad prefix"}}), http.StatusUnprocessableEntity)
	staff.get("/admin/programs/1/webhooks")
	check("AdminErrors/webhook", staff.post("/admin/programs/1/webhooks", url.Values{"url": {"ftp://x"}, "format": {"generic"}}), http.StatusUnprocessableEntity)
}

// a11yProblems lists what is wrong with one page, one line per problem.
func a11yProblems(doc *goquery.Document) []string {
	var out []string
	bad := func(format string, a ...any) { out = append(out, fmt.Sprintf(format, a...)) }

	if lang, _ := doc.Find("html").Attr("lang"); lang == "" {
		bad("<html> has no lang")
	}
	if strings.TrimSpace(doc.Find("title").Text()) == "" {
		bad("no <title>")
	}
	if n := doc.Find("h1").Length(); n != 1 {
		bad("%d h1 elements, want 1", n)
	}
	if n := doc.Find("main").Length(); n != 1 {
		bad("%d main landmarks, want 1", n)
	}
	if doc.Find(`a[href="#main"]`).Length() == 0 || doc.Find("main#main").Length() == 0 {
		bad("no skip link to main#main")
	}
	if doc.Find("header").Length() == 0 {
		bad("no header (banner) landmark")
	}
	doc.Find("nav").Each(func(_ int, s *goquery.Selection) {
		if doc.Find("nav").Length() > 1 && s.AttrOr("aria-label", "") == "" {
			bad("several navs, one without aria-label")
		}
	})

	ids := map[string]int{}
	doc.Find("[id]").Each(func(_ int, s *goquery.Selection) { ids[s.AttrOr("id", "")]++ })
	for id, n := range ids {
		if n > 1 {
			bad("id %q used %d times", id, n)
		}
	}
	doc.Find("[aria-describedby], [aria-labelledby]").Each(func(_ int, s *goquery.Selection) {
		for _, attr := range []string{"aria-describedby", "aria-labelledby"} {
			for _, id := range strings.Fields(s.AttrOr(attr, "")) {
				if ids[id] == 0 {
					bad("%s points at missing id %q", attr, id)
				}
			}
		}
	})
	doc.Find("label[for]").Each(func(_ int, s *goquery.Selection) {
		if ids[s.AttrOr("for", "")] == 0 {
			bad("label for=%q has no control", s.AttrOr("for", ""))
		}
	})
	doc.Find("input, select, textarea").Each(func(_ int, s *goquery.Selection) {
		switch s.AttrOr("type", "") {
		case "hidden", "submit", "button", "reset", "image":
			return
		}
		if s.AttrOr("aria-label", "") != "" || s.AttrOr("aria-labelledby", "") != "" {
			return
		}
		if s.ParentsFiltered("label").Length() > 0 {
			return
		}
		if id := s.AttrOr("id", ""); id != "" && doc.Find(`label[for="`+id+`"]`).Length() > 0 {
			return
		}
		bad("%s name=%q has no label", goquery.NodeName(s), s.AttrOr("name", ""))
	})
	doc.Find("button").Each(func(_ int, s *goquery.Selection) {
		if strings.TrimSpace(s.Text()) == "" && s.AttrOr("aria-label", "") == "" {
			bad("button without a name")
		}
	})
	doc.Find("th").Each(func(_ int, s *goquery.Selection) {
		if strings.TrimSpace(s.Text()) == "" {
			bad("empty table header cell")
		}
	})
	doc.Find("img").Each(func(_ int, s *goquery.Selection) {
		if _, ok := s.Attr("alt"); !ok {
			bad("img %q without alt", s.AttrOr("src", ""))
		}
	})
	doc.Find("a[href^='#']").Each(func(_ int, s *goquery.Selection) {
		if target := strings.TrimPrefix(s.AttrOr("href", ""), "#"); target != "" && ids[target] == 0 {
			bad("link to #%s, which is not on the page", target)
		}
	})
	doc.Find("[style]").Each(func(_ int, s *goquery.Selection) {
		bad("%s has an inline style attribute (blocked by the CSP)", goquery.NodeName(s))
	})
	doc.Find("script").Each(func(_ int, s *goquery.Selection) {
		if s.AttrOr("src", "") == "" {
			bad("inline <script> (blocked by the CSP)")
		}
	})
	doc.Find("*").Each(func(_ int, s *goquery.Selection) {
		for _, a := range s.Get(0).Attr {
			if strings.HasPrefix(a.Key, "on") {
				bad("%s has an inline %s handler (blocked by the CSP)", goquery.NodeName(s), a.Key)
			}
		}
	})
	return out
}

// TestA11yChecker proves the checker above finds what it looks for, so a
// passing TestPagesAccessible means something.
func TestA11yChecker(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		doc, _ := goquery.NewDocumentFromReader(strings.NewReader(`<html lang="en"><title>t</title><a href="#main">skip</a><header></header><main id="main">
			<h1>One</h1><label for="f-a">A</label><input id="f-a" name="a" aria-describedby="h-a"><span id="h-a">hint</span>
			<label><input type="checkbox" name="b"> B</label><a href="#f-a">to A</a></main></html>`))
		if got := a11yProblems(doc); len(got) != 0 {
			t.Fatalf("problems in a clean page: %q", got)
		}
	})
	t.Run("ErrProblems", func(t *testing.T) {
		doc, _ := goquery.NewDocumentFromReader(strings.NewReader(`<html><title>t</title><main>
			<h1>One</h1><h1>Two</h1><input name="a" aria-describedby="gone"><p id="x" style="color:red"></p><p id="x"></p>
			<a href="#f-b">to B</a><img src="/x.png"><script>alert(1)</script><button onclick="x()"></button><table><tr><th></th></tr></table></main></html>`))
		got := strings.Join(a11yProblems(doc), "\n")
		for _, want := range []string{"no lang", "2 h1", "no skip link", "no header", `name="a" has no label`, `missing id "gone"`,
			`id "x" used 2 times`, "inline style", "#f-b", "without alt", "inline <script>", "onclick", "button without a name", "empty table header"} {
			if !strings.Contains(got, want) {
				t.Errorf("checker missed %q; it said:\n%s", want, got)
			}
		}
	})
}
