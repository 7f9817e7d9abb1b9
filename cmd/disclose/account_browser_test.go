package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/disclose/disclose/handlers/browsertest"
	"github.com/disclose/disclose/mailin/mailtest"
)

// laptop is a second, scripted browser of the same user: its session is
// the "other session" the real browser ends.
type laptop struct {
	t    *testing.T
	base string
	c    *http.Client
}

var csrfFieldRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func newLaptop(t *testing.T, base string) *laptop {
	jar, _ := cookiejar.New(nil)
	return &laptop{t: t, base: base, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// signIn signs in with email and password and fails the test otherwise.
func (l *laptop) signIn(email, password string) {
	l.t.Helper()
	resp, err := l.c.Get(l.base + "/login")
	if err != nil {
		l.t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfFieldRE.FindSubmatch(body)
	if m == nil {
		l.t.Fatal("no CSRF token on the sign-in page")
	}
	resp, err = l.c.PostForm(l.base+"/login", url.Values{"csrf": {string(m[1])}, "email": {email}, "password": {password}})
	if err != nil {
		l.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/triage" {
		l.t.Fatalf("laptop sign-in: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// signedIn reports whether the laptop's session still opens the dashboard.
func (l *laptop) signedIn() bool {
	l.t.Helper()
	resp, err := l.c.Get(l.base + "/triage")
	if err != nil {
		l.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// TestBrowserAccountSelfService is a staff user looking after their own
// account through the real binary, a real browser and a real SMTP server:
// "forgot your password?" mails a link (the outbox worker sends it), the
// link sets a new password and ends the session of their laptop, they sign
// in with it, end the laptop's next session from the sessions page, and
// change the password again, which ends the laptop's session once more.
func TestBrowserAccountSelfService(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a browser")
	}
	sink := mailtest.NewSink(t)
	ctx := browsertest.New(t)
	base, stdout := startServeEnv(t, map[string]string{"DISCLOSE_SMTP_ADDR": sink.Addr, "DISCLOSE_SMTP_TLS": "none",
		"DISCLOSE_SECURITY_EMAIL": "security@example.org"})
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	step := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		browsertest.Step(ctx, t, what, actions...)
	}
	const (
		email  = "admin@example.org"
		first  = "admin passphrase for tests"
		second = "a passphrase from the reset mail"
		third  = "the third passphrase of today"
	)
	step("create the first admin",
		chromedp.Navigate(setupLinkRE.FindString(stdout.String())),
		chromedp.SendKeys(css("#f-email"), email),
		chromedp.SendKeys(css("#f-password"), first),
		chromedp.SendKeys(css("#f-password2"), first),
		chromedp.Click(css("[data-testid=setup-submit]")),
		chromedp.WaitVisible(css("[data-testid=notice]")),
	)
	lap := newLaptop(t, base)
	lap.signIn(email, first)

	step("ask for a reset link from the sign-in page",
		chromedp.Navigate(base+"/login"),
		chromedp.Click(css("[data-testid=forgot-link]")),
		chromedp.WaitVisible(css("[data-testid=forgot-form]")),
		chromedp.SendKeys(css("#f-email"), email),
		chromedp.Click(css("[data-testid=forgot-submit]")),
		chromedp.WaitVisible(css("[data-testid=notice]")),
	)
	if loc, err := chromedp.Run(ctx, chromedp.Location()); err != nil || strings.Contains(loc, "admin@") {
		t.Fatalf("the sent page's address %q (%v) names the address asked for", loc, err)
	}
	msgs := sink.Wait(t, 1, 20*time.Second) // the outbox worker sends it
	if len(msgs[0].To) != 1 || msgs[0].To[0] != email {
		t.Fatalf("reset mail to %v", msgs[0].To)
	}
	raw, _ := io.ReadAll(msgs[0].Parse(t).Body)
	link := setupLinkRE.FindString(string(raw))
	if link == "" || !strings.HasPrefix(link, base+"/setup/") {
		t.Fatalf("no link to this portal in the reset mail:\n%s", raw)
	}
	if !lap.signedIn() {
		t.Fatal("asking for a link ended the laptop's session; only using it may")
	}

	step("choose a new password through the link",
		chromedp.Navigate(link),
		chromedp.SendKeys(css("#f-password"), second),
		chromedp.SendKeys(css("#f-password2"), second),
		chromedp.Click(css("[data-testid=setup-submit]")),
		chromedp.WaitVisible(css("[data-testid=notice]")),
	)
	if lap.signedIn() {
		t.Fatal("the laptop's session outlived the reset")
	}
	step("the link works once",
		chromedp.Navigate(link),
		chromedp.WaitVisible(css("main h1")),
	)
	if h := browsertest.Text(ctx, t, "main h1"); strings.Contains(h, "password") {
		t.Fatalf("the used link still opens the form: %q", h)
	}

	step("sign in with the new password",
		chromedp.Navigate(base+"/login?next=/account/sessions"),
		chromedp.SendKeys(css("#f-email"), email),
		chromedp.SendKeys(css("#f-password"), second),
		chromedp.Click(css("[data-testid=login-submit]")),
		chromedp.WaitVisible(css("[data-testid=sessions]")),
	)
	lap.signIn(email, second)
	step("end the laptop's session",
		chromedp.Navigate(base+"/account/sessions"),
		chromedp.WaitVisible(css("[data-testid=sessions]")),
		chromedp.Click(css("[data-testid=session] button")),
		chromedp.WaitVisible(css("[data-testid=notice]")),
	)
	if lap.signedIn() {
		t.Fatal("the ended session still signs the laptop in")
	}
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("[data-testid=session]").length`)); err != nil || n != 1 {
		t.Fatalf("%d sessions listed after ending the other (%v), want this one", n, err)
	}

	lap.signIn(email, second)
	step("change the password",
		chromedp.Navigate(base+"/account/password"),
		chromedp.SendKeys(css("#f-current"), second),
		chromedp.SendKeys(css("#f-password"), third),
		chromedp.SendKeys(css("#f-password2"), third),
		chromedp.Click(css("[data-testid=password-submit]")),
		chromedp.WaitVisible(css("[data-testid=notice]")),
	)
	if n := browsertest.Text(ctx, t, "[data-testid=notice]"); !strings.Contains(n, "One other session was ended") {
		t.Fatalf("notice %q", n)
	}
	if lap.signedIn() {
		t.Fatal("the laptop's session outlived the password change")
	}
	lap.signIn(email, third)
}
