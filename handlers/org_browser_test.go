package handlers_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/handlers/browsertest"
)

// TestBrowserOrgAdminAddsClientUser: in a real browser, an agency's admin
// invites a user to its client on the client's page and is shown no link;
// the invitee sets a password through the link of the mail in the outbox,
// signs in and sees the client's reports only.
func TestBrowserOrgAdminAddsClientUser(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a browser")
	}
	ctx := browsertest.New(t)
	p := newOrgPortal(t)
	bg := context.Background()
	file := func(pr *db.Program, title string) string {
		t.Helper()
		rc, err := p.DB.CreateReport(bg, &db.NewReport{ProgramID: pr.ID, Source: db.SourceWeb, Title: title, Description: "d",
			Reporter: db.Reporter{Credit: db.CreditAnonymous}})
		if err != nil {
			t.Fatal(err)
		}
		r, err := p.DB.ReportByID(bg, rc.ReportID)
		if err != nil {
			t.Fatal(err)
		}
		return r.Ref()
	}
	clientRef := file(p.prog, "Client cart XSS")
	agencyRef, defaultRef := file(p.agencyProg, "Agency site redirect"), file(p.defaultProg, "Portal CSRF")
	boss := p.mustUser(t, "boss@agency.example", db.RoleViewer)
	if err := p.DB.SetOrgMember(bg, p.agency.ID, boss.ID, db.RoleAdmin, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	base := p.Server.URL
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	step := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		browsertest.Step(ctx, t, what, actions...)
	}
	signIn := func(email string) {
		t.Helper()
		step("sign in as "+email,
			chromedp.Navigate(base+"/login?next=/triage"),
			chromedp.SendKeys(css("#f-email"), email),
			chromedp.SendKeys(css("#f-password"), testPassword),
			chromedp.Click(css("[data-testid=login-submit]")),
			chromedp.WaitVisible(css("#f-q")),
		)
	}
	signIn("boss@agency.example")
	step("open the client's page and add a user",
		chromedp.Click(css("[data-testid=nav-orgs]")),
		chromedp.WaitVisible(css(`[data-org="client"] a`)),
		chromedp.Click(css(`[data-org="client"] a`)),
		chromedp.WaitVisible(css("[data-testid=member-form]")),
		chromedp.SendKeys(css("#f-email"), "dev@client.example"),
		chromedp.SetValue(css("#f-role"), "viewer"),
		chromedp.Click(css("[data-testid=add-member]")),
		chromedp.WaitVisible(css("[data-testid=invites]")),
	)
	// The admin's page names the invitation, never its link.
	html, err := chromedp.Run(ctx, chromedp.OuterHTML(css("body")))
	if err != nil {
		t.Fatal(err)
	}
	if l := oneTimeLinkRE.FindString(html); l != "" || !strings.Contains(browsertest.Text(ctx, t, "[data-testid=invites]"), "dev@client.example") {
		t.Fatalf("the admin's page shows a link %q, or does not list the invitation", l)
	}
	if strings.Contains(browsertest.Text(ctx, t, "[data-testid=members]"), "dev@client.example") {
		t.Error("the invitee is a member before accepting")
	}
	// The invitee, in a browser of their own, opens the link of the mail
	// in the outbox (the only place it is) and chooses a password.
	links := inviteLinks(t, p.portal, "dev@client.example")
	if len(links) != 1 {
		t.Fatalf("invitation mails: %d", len(links))
	}
	ctx = browsertest.New(t)
	step("choose a password through the mailed link",
		chromedp.Navigate(base+links[0]),
		chromedp.WaitVisible(css("[data-testid=invite-setup-form]")),
		chromedp.SendKeys(css("#f-password"), testPassword),
		chromedp.SendKeys(css("#f-password2"), testPassword),
		chromedp.Click(css("[data-testid=invite-setup]")),
		chromedp.WaitVisible(css("#f-email")),
	)
	signIn("dev@client.example")
	step("the queue", chromedp.Navigate(base+"/triage?state=all"), chromedp.WaitVisible(css("#f-q")))
	sctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	html, err = chromedp.Run(sctx, chromedp.OuterHTML(css("body")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(html, `data-ref="`+clientRef+`"`) {
		t.Errorf("the client's user does not see %s", clientRef)
	}
	for _, ref := range []string{agencyRef, defaultRef} {
		if strings.Contains(html, ref) {
			t.Errorf("the client's user sees %s", ref)
		}
	}
	if strings.Contains(html, `data-testid="nav-orgs"`) {
		t.Error("a client's viewer is offered the organisation pages")
	}
}
