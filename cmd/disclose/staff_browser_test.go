package main

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/disclose/disclose/handlers/browsertest"
	"github.com/disclose/disclose/mailin/mailtest"
	"github.com/pquerna/otp/totp"
)

// TestBrowserStaffAccounts is what an operator does on a fresh portal, in a
// real browser: create the first admin from the printed link, turn on TOTP,
// sign out and in again with password and code, invite a triager, and the
// triager sets a password in a separate browser profile and signs in.
func TestBrowserStaffAccounts(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a browser")
	}
	sink := mailtest.NewSink(t)
	ctx := browsertest.New(t)
	base, stdout := startServeEnv(t, map[string]string{"DISCLOSE_SMTP_ADDR": sink.Addr, "DISCLOSE_SMTP_TLS": "none",
		"DISCLOSE_SECURITY_EMAIL": "security@example.org"})
	link := setupLinkRE.FindString(stdout.String())
	if link == "" {
		t.Fatalf("serve printed no setup link:\n%s", stdout.String())
	}
	const adminPass, triPass = "admin passphrase for tests", "triager passphrase for tests"
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	step := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		browsertest.Step(ctx, t, what, actions...)
	}
	text := func(sel string) string {
		t.Helper()
		return browsertest.Text(ctx, t, sel)
	}

	step("create the first admin",
		chromedp.Navigate(link),
		chromedp.SendKeys(css("#f-email"), "admin@example.org"),
		chromedp.SendKeys(css("#f-name"), "Ada Admin"),
		chromedp.SendKeys(css("#f-password"), adminPass),
		chromedp.SendKeys(css("#f-password2"), adminPass),
		chromedp.Click(css("[data-testid=setup-submit]")),
		chromedp.WaitVisible(css("[data-testid=notice]")),
	)
	login := func(email, pass, next string) {
		t.Helper()
		step("sign in as "+email,
			chromedp.Navigate(base+"/login?next="+next),
			chromedp.SendKeys(css("#f-email"), email),
			chromedp.SendKeys(css("#f-password"), pass),
			chromedp.Click(css("[data-testid=login-submit]")),
		)
	}
	login("admin@example.org", adminPass, "/account/2fa")
	step("open the 2FA page", chromedp.WaitVisible(css("[data-testid=totp-secret]")))
	secret := text("[data-testid=totp-secret]")
	// Poll until the image has loaded: reading it at once races the fetch.
	qrWidth, err := chromedp.Run(ctx, chromedp.Poll[int](`(() => { const i = document.querySelector("img.qr"); return i && i.complete && i.naturalWidth; })()`,
		chromedp.WithPollingTimeout(10*time.Second)))
	if err != nil || qrWidth == 0 {
		t.Fatalf("the QR code image did not load (CSP or route): width %d, %v", qrWidth, err)
	}
	code, err := totp.GenerateCode(secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	step("turn TOTP on",
		chromedp.SendKeys(css("#f-code"), code),
		chromedp.Click(css("[data-testid=totp-submit]")),
		chromedp.WaitVisible(css("[data-testid=recovery-codes]")),
	)
	if n := len(strings.Fields(text("[data-testid=recovery-codes]"))); n != 10 {
		t.Fatalf("%d recovery codes shown, want 10", n)
	}
	step("sign out",
		chromedp.Click(css("[data-testid=user-menu]")),
		chromedp.Click(css("[data-testid=logout]")),
		chromedp.WaitVisible(css("[data-testid=login-form]")),
	)
	login("admin@example.org", adminPass, "/admin/users")
	// The code of the next time step: the enrolment used the current one,
	// and a used step is refused (replay protection).
	code, _ = totp.GenerateCode(secret, time.Now().Add(30*time.Second))
	step("enter the TOTP code and invite a triager",
		chromedp.WaitVisible(css("[data-testid=code-form]")),
		chromedp.SendKeys(css("#f-code"), code),
		chromedp.Click(css("[data-testid=code-submit]")),
		chromedp.WaitVisible(css("[data-testid=invite-form]")),
		chromedp.SendKeys(css("[data-testid=invite-form] #f-email"), "tri@example.org"),
		chromedp.SendKeys(css("[data-testid=invite-form] #f-name"), "Tom Triager"),
		chromedp.SetValue(css("[data-testid=invite-form] #f-role"), "triager"),
		chromedp.Click(css("[data-testid=invite-form] input[name=program]")),
		chromedp.Click(css("[data-testid=invite-submit]")),
		chromedp.WaitVisible(css("[data-testid=one-time-link]")),
	)
	// The admin is told the link was mailed, never shown it: the triager
	// reads it from the mail the outbox worker sends.
	if strings.Contains(text("[data-testid=one-time-link]"), "/setup/") {
		t.Fatal("the admin was shown the setup link")
	}
	msgs := sink.Wait(t, 1, 20*time.Second)
	if len(msgs[0].To) != 1 || msgs[0].To[0] != "tri@example.org" {
		t.Fatalf("setup mail to %v", msgs[0].To)
	}
	raw, _ := io.ReadAll(msgs[0].Parse(t).Body)
	inviteLink := setupLinkRE.FindString(string(raw))
	if inviteLink == "" {
		t.Fatalf("no setup link in the mail:\n%s", raw)
	}

	// The triager, in a browser profile of their own.
	tctx, cancel := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	defer cancel()
	if err := chromedp.Do(tctx); err != nil { // open the tab before a step's timeout applies
		t.Fatal(err)
	}
	tstep := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(tctx, 10*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, actions...); err != nil {
			loc, _ := chromedp.Run(tctx, chromedp.Location())
			t.Fatalf("triager: %s: %v (at %s)", what, err, loc)
		}
	}
	tstep("open the invite link", chromedp.Navigate(inviteLink))
	tstep("set the password",
		chromedp.SendKeys(css("#f-password"), triPass),
		chromedp.SendKeys(css("#f-password2"), triPass),
		chromedp.Click(css("[data-testid=setup-submit]")),
		chromedp.WaitVisible(css("[data-testid=notice]")),
	)
	// Sign in towards the user's own 2FA page, a staff page of this branch
	// (sign-in lands on the queue by default).
	tstep("sign in",
		chromedp.Navigate(base+"/login?next=/account/2fa"),
		chromedp.SendKeys(css("#f-email"), "tri@example.org"),
		chromedp.SendKeys(css("#f-password"), triPass),
		chromedp.Click(css("[data-testid=login-submit]")),
		chromedp.WaitVisible(css("[data-testid=user-menu]")),
	)
	who, err := chromedp.Run(tctx, chromedp.Text(css("[data-testid=user-menu]")))
	if err != nil || strings.TrimSpace(who) != "Tom Triager" {
		t.Fatalf("signed in as %q (%v), want Tom Triager", who, err)
	}
	// Triagers have no admin entry and are refused the admin pages.
	err = chromedp.Do(tctx,
		chromedp.Navigate(base+"/admin/users"),
		chromedp.WaitVisible(css("[data-testid=error-message]")),
	)
	if err != nil {
		t.Fatalf("triager opens /admin/users: %v", err)
	}
	msg, _ := chromedp.Run(tctx, chromedp.Text(css("[data-testid=error-message]")))
	if !strings.Contains(msg, "Your role does not give access") {
		t.Fatalf("triager on /admin/users sees %q", msg)
	}
	// The admin's session is untouched by the triager's profile.
	if _, err := chromedp.Run(ctx, chromedp.Text(css("[data-testid=user-menu]"))); err != nil {
		t.Fatal(err)
	}
}
