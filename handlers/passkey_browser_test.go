package handlers_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	cdpwebauthn "github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/handlers"
	"github.com/disclose/disclose/handlers/browsertest"
)

// onLocalhost serves the portal as http://localhost:PORT: a WebAuthn
// relying party ID must be a host name, and Chromium treats localhost as a
// secure context.
func onLocalhost(c *handlers.Config) {
	c.BaseURL = &url.URL{Scheme: "http", Host: "localhost:" + c.BaseURL.Port()}
}

// TestBrowserPasskeys: in Chromium with its virtual authenticator (CDP
// WebAuthn domain), a triager adds a passkey (after a recent sign-in),
// signs in with it without a password, uses it as the second factor after
// the password, still has working recovery codes; an assertion made on
// another origin is refused; after removing the passkey it signs in no
// more.
func TestBrowserPasskeys(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a browser")
	}
	ctx := browsertest.New(t)
	env := newPortal(t, configure(onLocalhost))
	env.mustUser(t, "tri@example.org", db.RoleTriager, 1)
	base := env.Config.BaseURL.String()
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
	signOut := chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, network.ClearBrowserCookies, cdp.Empty{})
		return err
	})
	step("a virtual authenticator: CTAP2, platform, resident keys, user verification",
		chromedp.Navigate(base+"/login"),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			if _, err := cdp.Call(ctx, t, cdpwebauthn.Enable, cdpwebauthn.EnableParams{}); err != nil {
				return err
			}
			_, err := cdp.Call(ctx, t, cdpwebauthn.AddVirtualAuthenticator, cdpwebauthn.AddVirtualAuthenticatorParams{
				Options: &cdpwebauthn.VirtualAuthenticatorOptions{Protocol: cdpwebauthn.AuthenticatorProtocolCtap2,
					Ctap2version: cdpwebauthn.Ctap2versionCtap21, Transport: cdpwebauthn.AuthenticatorTransportInternal,
					HasResidentKey: true, HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true}})
			return err
		}),
	)
	password := func(what string) {
		t.Helper()
		step(what,
			signOut,
			chromedp.Navigate(base+"/login?next=/triage"),
			chromedp.SendKeys(css("#f-email"), "tri@example.org"),
			chromedp.SendKeys(css("#f-password"), testPassword),
			chromedp.Click(css("[data-testid=login-submit]")),
		)
	}
	password("sign in with the password")
	step("add a passkey",
		chromedp.WaitVisible(css("#f-q")),
		chromedp.Navigate(base+"/account/passkeys"),
		chromedp.WaitVisible(css("[data-testid=passkey-add-form]")),
		chromedp.SendKeys(css("#f-passkey-name"), "Laptop"),
		chromedp.Click(css("[data-testid=passkey-add]")),
		// The account's first second factor comes with recovery codes.
		chromedp.WaitVisible(css("[data-testid=recovery-codes]")),
	)
	codes, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("[data-testid=recovery-codes] li")].map(e => e.textContent)`))
	if err != nil || len(codes) != db.RecoveryCodeCount {
		t.Fatalf("recovery codes: %v %v", codes, err)
	}
	if got := browsertest.Text(ctx, t, "[data-testid=passkey] td:nth-child(3)"); got != "never" {
		t.Errorf("last used of a new passkey: %q", got)
	}

	step("sign in with the passkey, no password",
		signOut,
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(css("[data-testid=passkey-login]")),
		chromedp.Click(css("[data-testid=passkey-login]")),
		chromedp.WaitVisible(css("#f-q")),
	)
	if e := lastLogin(t, env); e.Detail != "passkey" {
		t.Errorf("audit of the sign-in: %+v", e)
	}
	step("the passkey page says when it was used",
		chromedp.Navigate(base+"/account/passkeys"),
		chromedp.WaitVisible(css("[data-testid=passkey]")),
	)
	if got := browsertest.Text(ctx, t, "[data-testid=passkey-used]"); got == "never" {
		t.Error("last used still never after a sign-in")
	}

	password("password, then the passkey as second factor")
	step("the passkey on the code page",
		chromedp.WaitVisible(css("[data-testid=passkey-code]")),
		chromedp.Click(css("[data-testid=passkey-code]")),
		chromedp.WaitVisible(css("#f-q")),
	)
	if e := lastLogin(t, env); e.Detail != "password+passkey" {
		t.Errorf("audit of the sign-in: %+v", e)
	}
	step("sign out", signOut)
	password("password, then a recovery code")
	step("a recovery code still works",
		chromedp.WaitVisible(css("#f-code")),
		chromedp.SendKeys(css("#f-code"), codes[0]),
		chromedp.Click(css("[data-testid=code-submit]")),
		chromedp.WaitVisible(css("#f-q")),
	)

	// An assertion the authenticator made for another origin (same RP ID,
	// localhost on another port), for the portal's own challenge, posted
	// to the portal: refused, since clientDataJSON names the other origin.
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("<!DOCTYPE html><title>other site</title><p>other</p>"))
	}))
	defer other.Close()
	otherURL := "http://localhost:" + strings.TrimPrefix(other.URL, "http://127.0.0.1:")
	step("sign out, and start a passkey sign-in at the portal", signOut, chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(css("[data-testid=passkey-login]")))
	challenge, err := chromedp.Run(ctx, chromedp.Evaluate[string](`fetch("/login/passkey/begin", {method: "POST",
		headers: {"Content-Type": "application/x-www-form-urlencoded"},
		body: "csrf=" + encodeURIComponent(document.querySelector("[data-testid=passkey-login-form] [name=csrf]").value)})
		.then(r => r.json()).then(o => o.publicKey.challenge)`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	step("ask the authenticator on the other origin", chromedp.Navigate(otherURL), chromedp.WaitVisible(css("p")))
	forged, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(async () => {
		const b64u = s => Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((s.length + 3) % 4)), c => c.charCodeAt(0));
		const enc = b => btoa(String.fromCharCode(...new Uint8Array(b))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
		const c = await navigator.credentials.get({publicKey: {challenge: b64u(`+"`"+challenge+"`"+`), rpId: "localhost", userVerification: "required"}});
		return JSON.stringify({id: c.id, rawId: enc(c.rawId), type: c.type, response: {clientDataJSON: enc(c.response.clientDataJSON),
			authenticatorData: enc(c.response.authenticatorData), signature: enc(c.response.signature), userHandle: enc(c.response.userHandle)}});
	})()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	step("post it to the portal",
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(css("[data-testid=passkey-login]")),
		chromedp.SetValue(css("[data-testid=passkey-login-form] [name=credential]"), forged),
		chromedp.Submit(css("[data-testid=passkey-login-form]")),
		chromedp.WaitVisible(css("[data-testid=login-error]")),
	)
	// Refused by the verification (the ceremony was this browser's, the
	// signature is the authenticator's): the origin.
	if e := lastLogin(t, env); e.Action != "login.passkey_refused" || e.Detail != "assertion refused" {
		t.Errorf("the other origin's assertion: %+v", e)
	}

	password("sign in to remove the passkey")
	step("remove it",
		chromedp.WaitVisible(css("[data-testid=passkey-code]")),
		chromedp.Click(css("[data-testid=passkey-code]")),
		chromedp.WaitVisible(css("#f-q")),
		chromedp.Navigate(base+"/account/passkeys"),
		chromedp.Click(css("[data-testid=passkey-remove]")),
		chromedp.WaitVisible(css("[data-testid=passkeys-none]")),
	)
	step("the removed passkey signs in no more",
		signOut,
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(css("[data-testid=passkey-login]")),
		chromedp.Click(css("[data-testid=passkey-login]")),
		chromedp.WaitVisible(css("[data-testid=login-error]")),
	)
	if e := lastLogin(t, env); e.Action != "login.passkey_refused" {
		t.Errorf("the removed passkey: %+v", e)
	}
}

// lastLogin is the newest sign-in or refusal in the audit log.
func lastLogin(t *testing.T, env *portal) db.AuditEntry {
	t.Helper()
	pg, err := env.DB.ListAudit(context.Background(), db.AuditFilter{Action: "login", Limit: 20})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range pg.Entries {
		if e.Action == "login" || e.Action == "login.passkey_refused" {
			return *e
		}
	}
	t.Fatal("no sign-in in the audit log")
	return db.AuditEntry{}
}
