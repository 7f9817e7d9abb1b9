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

// TestBrowserTriageFlow is the triage half of the browser test, in
// a real browser against the real route table: a researcher reports through
// the public form; a signed-in triager finds the report by full-text
// search, replies, adds an internal note, sets a CVSS vector and marks it
// triaged; the researcher, with the receipt code on /status, sees the reply
// and the new state but not the note. (Setup link, TOTP and invitations are
// the auth half: cmd/disclose TestBrowserStaffAccounts.)
func TestBrowserTriageFlow(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a browser")
	}
	ctx := browsertest.New(t)
	env := newPortal(t)
	env.mustUser(t, "tri@example.org", db.RoleTriager, 1)
	base := env.Server.URL
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	step := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, actions...); err != nil {
			loc, _ := chromedp.Run(ctx, chromedp.Location())
			body, _ := chromedp.Run(ctx, chromedp.Text(css("main")))
			t.Fatalf("%s: %v (at %s)\n%.3000s", what, err, loc, body)
		}
	}
	text := func(sel string) string {
		t.Helper()
		return browsertest.Text(ctx, t, sel)
	}

	step("report through the public form",
		chromedp.Navigate(base+"/report"),
		chromedp.SendKeys(css("#f-title"), "Stored XSS in the quarterly gazette widget"),
		chromedp.SendKeys(css("#f-description"), "The gazette widget renders subscriber names without escaping."),
		chromedp.Submit(css("#f-title")),
		chromedp.WaitVisible(css("[data-testid=code]")),
	)
	code, ref := text("[data-testid=code]"), text("[data-testid=ref]")

	step("sign in as the triager",
		chromedp.Navigate(base+"/login?next=/triage"),
		chromedp.SendKeys(css("#f-email"), "tri@example.org"),
		chromedp.SendKeys(css("#f-password"), testPassword),
		chromedp.Click(css("[data-testid=login-submit]")),
		chromedp.WaitVisible(css("#f-q")),
	)
	step("find the report by full-text search",
		chromedp.SendKeys(css("#f-q"), "gazette subscriber"),
		chromedp.Submit(css("#f-q")),
		// The queue before the search lists the report too: wait for the
		// results page, or the click may land on a page being replaced.
		chromedp.WaitVisible(css(`[data-testid=queue][data-search="gazette subscriber"] tr[data-ref="`+ref+`"]`)),
		chromedp.Click(css(`[data-testid=queue][data-search="gazette subscriber"] tr[data-ref="`+ref+`"] a`)),
		chromedp.WaitVisible(css("[data-testid=send-reply]")),
	)
	if got := text("[data-testid=ref]"); got != ref {
		t.Fatalf("opened %s, want %s", got, ref)
	}
	step("reply to the reporter",
		chromedp.SendKeys(css("#f-reply-body"), "Thank you! We reproduced the gazette issue."),
		chromedp.Click(css("[data-testid=send-reply]")),
		// Each wait names what only the next page has: the page before may
		// still be on screen while the browser follows the redirect.
		chromedp.WaitVisible(css(".timeline li.reply")),
	)
	step("add an internal note",
		chromedp.SendKeys(css("#f-note-body"), "Internal: owner is the widgets team."),
		chromedp.Click(css("[data-testid=add-note]")),
		chromedp.WaitVisible(css(".timeline li.note")),
	)
	step("set the CVSS vector",
		chromedp.SetValue(css("#f-cvss"), "CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N"),
		chromedp.Click(css("[data-testid=save-fields]")),
		chromedp.WaitVisible(css("[data-testid=cvss]")),
	)
	step("mark it triaged",
		chromedp.SetValue(css("#f-to"), "triaged"),
		chromedp.Click(css("[data-testid=change-state]")),
		chromedp.WaitReady(css(`#f-to option[value="resolved"]`)),
	)
	if got := text("[data-testid=state]"); got != "Triaged" {
		t.Fatalf("state=%q, want Triaged", got)
	}
	if got := text("[data-testid=severity]"); got != "medium" {
		t.Fatalf("severity=%q, want medium (5.4)", got)
	}
	if got := text(".timeline li.internal"); !strings.Contains(got, "owner is the widgets team") {
		t.Fatalf("the note is not shown as internal to staff: %q", got)
	}

	// The researcher, in a browser profile of their own.
	rctx, cancel := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	defer cancel()
	if err := chromedp.Do(rctx,
		chromedp.Navigate(base+"/status"),
		chromedp.SendKeys(css("#f-code"), code),
		chromedp.Submit(css("#f-code")),
		chromedp.WaitVisible(css("[data-testid=timeline]")),
	); err != nil {
		t.Fatalf("reporter opens /status: %v", err)
	}
	state, _ := chromedp.Run(rctx, chromedp.Text(css("[data-testid=state]")))
	timeline, _ := chromedp.Run(rctx, chromedp.Text(css("[data-testid=timeline]")))
	if strings.TrimSpace(state) != "Triaged" {
		t.Fatalf("reporter sees state %q, want Triaged", state)
	}
	if !strings.Contains(timeline, "We reproduced the gazette issue.") {
		t.Fatalf("reporter does not see the reply:\n%s", timeline)
	}
	if strings.Contains(timeline, "widgets team") || strings.Contains(timeline, "CVSS") {
		t.Fatalf("reporter sees internal entries:\n%s", timeline)
	}
}
