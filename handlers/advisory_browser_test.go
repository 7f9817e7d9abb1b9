package handlers_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/handlers/browsertest"
)

// TestBrowserAdvisory: in a real browser, an admin drafts an advisory from
// a report and asks for review; a second user, in a browser of their own,
// approves it; it is then on the public list and its page, credits and
// all.
func TestBrowserAdvisory(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a browser")
	}
	p := newPortal(t)
	bg := context.Background()
	prog, err := p.DB.DefaultProgram(bg)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := p.DB.CreateReport(bg, &db.NewReport{ProgramID: prog.ID, Source: db.SourceWeb, Title: "Stored XSS in profile", Description: "d",
		Reporter: db.Reporter{Name: "alice", Credit: db.CreditHandle}})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := p.DB.ReportByID(bg, rc.ReportID)
	p.mustUser(t, "ada@example.org", db.RoleAdmin)
	p.mustUser(t, "tom@example.org", db.RoleAdmin)
	base := p.Server.URL
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	signIn := func(ctx context.Context, email string) {
		t.Helper()
		browsertest.Step(ctx, t, "sign in as "+email,
			chromedp.Navigate(base+"/login?next=/triage"),
			chromedp.SendKeys(css("#f-email"), email),
			chromedp.SendKeys(css("#f-password"), testPassword),
			chromedp.Click(css("[data-testid=login-submit]")),
			chromedp.WaitVisible(css("#f-q")),
		)
	}
	ada := browsertest.New(t)
	signIn(ada, "ada@example.org")
	browsertest.Step(ada, t, "draft from the report",
		chromedp.Click(css("[data-testid=nav-advisories]")),
		chromedp.WaitVisible(css(`[data-testid=advisory-orgs] a`)),
		chromedp.Click(css(`[data-testid=advisory-orgs] a`)),
		chromedp.WaitVisible(css("[data-testid=new-advisory]")),
		chromedp.Navigate(base+"/orgs/default/advisories/new?report="+r.Ref()),
		chromedp.WaitVisible(css("[data-testid=advisory-form]")),
		chromedp.SendKeys(css("#f-summary"), "A profile name could run script."),
		chromedp.SendKeys(css("#f-products"), "Portal | < 2.4.1 | 2.4.1"),
		chromedp.SendKeys(css("#f-cvss3"), "CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N"),
		chromedp.Submit(css("[data-testid=advisory-form]")),
		chromedp.WaitVisible(css("[data-testid=submit]")),
		chromedp.Click(css("[data-testid=submit]")),
		chromedp.WaitVisible(css("[data-testid=approve-other]")),
	)
	ident := strings.TrimSpace(browsertest.Text(ada, t, "[data-testid=advisory-ident]"))
	if !strings.HasPrefix(ident, "DEFAULT-SA-") {
		t.Fatalf("ident %q", ident)
	}
	tom := browsertest.New(t)
	signIn(tom, "tom@example.org")
	browsertest.Step(tom, t, "approve",
		chromedp.Navigate(base+"/orgs/default/advisories/"+ident),
		chromedp.WaitVisible(css("[data-testid=approve]")),
		chromedp.Click(css("[data-testid=approve]")),
		chromedp.WaitVisible(css("[data-testid=public-link]")),
	)
	if got := browsertest.Text(tom, t, "[data-testid=advisory-state]"); got != "published" {
		t.Errorf("state %q", got)
	}
	browsertest.Step(tom, t, "the public list and page",
		chromedp.Navigate(base+"/advisories"),
		chromedp.WaitVisible(css(`[data-advisory="`+ident+`"] a`)),
		chromedp.Click(css(`[data-advisory="`+ident+`"] a`)),
		chromedp.WaitVisible(css("[data-testid=advisory]")),
	)
	if got := browsertest.Text(tom, t, "[data-testid=public-credits]"); !strings.Contains(got, "alice") {
		t.Errorf("credits %q", got)
	}
}
