package views

import (
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"

	"github.com/disclose/disclose/db"
)

// TestPagesRender renders the other pages with models as their handlers
// fill them: render checks each for what no page may have, and the test
// for what a reader must find.
func TestPagesRender(t *testing.T) {
	ps := testPrograms()
	ps[1].Policy = "## Safe harbour\n\nWe will not sue you.\n\n<script>alert(1)</script>"
	pub := Page{Title: "Security", SecurityEmail: "security@example.org", KeyURL: "/.well-known/openpgpkey.asc", Fingerprint: "AAAA BBBB"}
	admin := func(title string) StaffPage {
		p := staffPage(testAdmin, title, "admin")
		p.Problems = []db.Problem{{Key: "imap", Message: "The mailbox refused the login.", Since: t0}}
		return p
	}
	for _, c := range []struct {
		name string
		comp templ.Component
		h1   string
		find func(t *testing.T, p *page)
	}{
		{"Landing", LandingView(Landing{Page: pub, Programs: ps}), "Report a security vulnerability", func(t *testing.T, p *page) {
			if got := p.doc.Find(`main a[href^="mailto:"]`).AttrOr("href", ""); got != "mailto:security@example.org" {
				t.Errorf("mail link %q", got)
			}
			p.named("a", "Acme web shop")
			p.named("a", "our OpenPGP key")
		}},
		{"Policy", PolicyView(Policy{Page: pub, Program: ps[1], Programs: ps}), "Acme web shop: disclosure policy", func(t *testing.T, p *page) {
			if strings.Contains(p.html, "<script>alert") {
				t.Errorf("the policy's script reached the page")
			}
			if got := p.headings(); strings.Join(got, "|") != "h1 Acme web shop: disclosure policy|h2 In scope|h2 Safe harbour" {
				t.Errorf("headings %q", got)
			}
			if got := p.doc.Find(`a.button`).AttrOr("href", ""); got != "/report?program=acme-web" {
				t.Errorf("report link %q", got)
			}
			if got := p.name(p.doc.Find(`main nav`)); got != "Programs" {
				t.Errorf("program nav named %q", got)
			}
		}},
		{"Error", ErrorView(ErrorPage{Page: Page{Title: "Not found"}, Status: 404, Message: "There is no such page."}), "Not found", func(t *testing.T, p *page) {
			if got := text(p.testID("error-message")); got != "There is no such page." {
				t.Errorf("message %q", got)
			}
		}},
		{"Login", LoginView(Login{Page: Page{Title: "Sign in"}, Email: "ann@example.org", Error: "Wrong email or password."}), "Sign in", func(t *testing.T, p *page) {
			if value(p.control("Email")) != "ann@example.org" {
				t.Errorf("typed email lost")
			}
			if _, ok := p.control("Password").Attr("value"); ok {
				t.Errorf("the password is filled again")
			}
			if p.testID("login-error").AttrOr("role", "") != "alert" {
				t.Errorf("the login error is not an alert")
			}
		}},
		{"AdminHome", AdminHomeView(admin("Admin")), "Admin", func(t *testing.T, p *page) {
			if got := text(p.testID("problem-imap")); !strings.HasPrefix(got, "The mailbox refused the login. (since 2026-03-01 10:00 UTC)") {
				t.Errorf("problem %q", got)
			}
			if p.testID("problems").AttrOr("role", "") != "alert" {
				t.Errorf("problems are not an alert")
			}
			if got := p.name(p.doc.Find(`nav.subnav`)); got != "Admin" {
				t.Errorf("admin nav named %q", got)
			}
		}},
		{"AdminPrograms", AdminProgramsView(AdminPrograms{StaffPage: admin("Programs"), Programs: ps}), "Programs", func(t *testing.T, p *page) {
			rows := tableRows(p.testID("programs"))
			if len(rows) != 2 || rows[0]["Name"] != "Security default" || rows[1]["URL name"] != "acme-web" {
				t.Errorf("programs %v", rows)
			}
			if p.doc.Find(`nav.subnav [aria-current="page"]`).Text() != "Programs" {
				t.Errorf("the admin nav does not mark Programs")
			}
		}},
		{"AdminAudit", AdminAuditView(AdminAudit{StaffPage: admin("Audit log"), Filter: map[string]string{"actor": "ann"},
			Entries: []*db.AuditEntry{{ID: 3, At: "2026-03-01T10:00:00Z", Actor: "ann", Action: "login", Target: "ann@example.org"}},
			NextURL: "/admin/audit?before=3"}), "Audit log", func(t *testing.T, p *page) {
			if value(p.control("Actor")) != "ann" || p.named("a", "Older rows").AttrOr("href", "") != "/admin/audit?before=3" {
				t.Errorf("filter or pager lost")
			}
			if rows := tableRows(p.testID("audit")); len(rows) != 1 || rows[0]["Action"] != "login" {
				t.Errorf("audit rows %v", rows)
			}
		}},
		{"AdminSettings", AdminSettingsView(AdminSettings{StaffPage: admin("Settings"), Require2FA: true}), "Settings", func(t *testing.T, p *page) {
			if value(p.control("Require two-factor sign-in for everyone (users without it are sent to set it up after signing in)")) != "checked" {
				t.Errorf("the switch does not show its state")
			}
		}},
		{"AdminOutbox", AdminOutboxView(AdminOutbox{StaffPage: admin("Outbox"), Now: t0, Status: db.OutboxFailed,
			Counts: map[string]int{db.OutboxFailed: 1, db.OutboxSent: 4},
			Mails:  []*db.Mail{{ID: 8, Ref: "SEC-7", Kind: "reply", To: "ada@example.org", Status: db.OutboxFailed, Attempts: 5, CreatedAt: t0}}}), "Outbox", func(t *testing.T, p *page) {
			if got := text(p.testID("outbox-filter").Find(`[aria-current="page"]`)); got != "Failed (1)" {
				t.Errorf("current filter %q", got)
			}
			if rows := tableRows(p.testID("outbox")); len(rows) != 1 || rows[0]["Status"] != "failed" || rows[0]["To"] != "ada@example.org" {
				t.Errorf("outbox %v", rows)
			}
		}},
		{"AdminMail", AdminMailView(AdminMail{StaffPage: admin("Mail"), Now: t0, Mail: &db.Mail{ID: 8, Ref: "SEC-7",
			Kind: "reply", To: "ada@example.org", Subject: "Re: [SEC-7]", Status: db.OutboxFailed, LastError: "550 <no>", Body: "Hello"}}), "Mail SEC-7", func(t *testing.T, p *page) {
			if got := p.named("button", "Send again").Closest("form").AttrOr("action", ""); got != "/admin/outbox/8/retry" {
				t.Errorf("retry %q", got)
			}
			if !strings.Contains(p.html, "550 &lt;no&gt;") {
				t.Errorf("the SMTP error is not escaped")
			}
		}},
		{"AdminIntake", AdminIntakeView(AdminIntake{StaffPage: admin("Mail intake"),
			Status: &db.IntakeStatus{LastPollAt: t0, LastError: "login refused", LastErrorAt: t0, Reports: 2, Bounces: 1},
			Kept:   []*db.RawMail{{ID: 4, Kind: db.MailBounce, FromEmail: "mailer-daemon@example.org", Subject: "Undelivered", Size: 2048, Ref: "SEC-7", CreatedAt: t0}}}),
			"Mail intake", func(t *testing.T, p *page) {
				if got := text(p.testID("intake-error")); got != "The last poll failed at 2026-03-01 10:00:00 UTC: login refused" {
					t.Errorf("intake error %q", got)
				}
				a := p.named("a", ".eml (2 KB)")
				if _, ok := a.Attr("download"); !ok || a.AttrOr("href", "") != "/admin/intake/mail/4" {
					t.Errorf("kept mail is not a download")
				}
				if rows := tableRows(p.testID("kept-mail")); len(rows) != 1 || rows[0]["Kind"] != "Bounce" || rows[0]["Why"] != "(about SEC-7)" {
					t.Errorf("kept %v", rows)
				}
			}},
		{"Notifications", NotificationsView(Notifications{StaffPage: staffPage(testTriager, "Notifications", ""),
			Prefs: &db.NotifyPrefs{Mode: db.NotifyDigest, IncludeTitle: true}}), "Notifications", func(t *testing.T, p *page) {
			if value(p.control("Once a day, in a digest")) != "checked" || value(p.control("Never")) != "" {
				t.Errorf("the chosen mode is not checked")
			}
			p.named("fieldset", "Mail me about new reports and reporter replies in my programs")
		}},
		{"Metrics", TriageMetricsView(TriageMetrics{StaffPage: staffPage(testTriager, "Metrics", "queue"), Action: "/triage/metrics", Back: "/triage", BackLabel: "Queue", Heading: "Metrics", From: "2026-01", To: "2026-03",
			Metrics: &db.Metrics{Received: 9, FirstResponse: db.Milestone{Median: 30 * time.Minute, N: 4}, Counts: map[db.State]int64{db.StateNew: 2}}}),
			"Metrics", func(t *testing.T, p *page) {
				if got := text(p.testID("median-first-response")); got != "30 minutes" {
					t.Errorf("median %q", got)
				}
				if got := text(p.testID("median-triage")); got != "no data" {
					t.Errorf("empty median %q", got)
				}
				if got := text(p.doc.Find(`[data-state="new"]`)); got != "2" {
					t.Errorf("new count %q", got)
				}
			}},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := render(t, c.comp)
			if got := p.headings()[0]; got != "h1 "+c.h1 {
				t.Errorf("h1 %q, want %q", got, c.h1)
			}
			c.find(t, p)
		})
	}
}

func TestTwoFactorPage(t *testing.T) {
	t.Run("EnrolCodeErrorTiedToField", func(t *testing.T) {
		m := TwoFactor{StaffPage: staffPage(testTriager, "Two-factor sign-in", ""), Secret: "JBSWY3DPEHPK3PXP",
			URL: "otpauth://totp/disclose:tom?secret=JBSWY3DPEHPK3PXP", Error: "That code is not right; check the time on your phone."}
		p := render(t, TwoFactorView(m))
		c := p.control("Code from the app")
		if c.AttrOr("aria-invalid", "") != "true" || p.description(c) != m.Error {
			t.Errorf("the code error is not read on the field: invalid=%q described as %q", c.AttrOr("aria-invalid", ""), p.description(c))
		}
		if p.doc.Find("img.qr").AttrOr("alt", "") == "" {
			t.Errorf("the QR code has no text alternative")
		}
		if got := text(p.testID("totp-secret")); got != m.Secret {
			t.Errorf("secret %q", got)
		}
	})
	t.Run("RecoveryCodesShownOnce", func(t *testing.T) {
		m := TwoFactor{StaffPage: staffPage(testTriager, "Two-factor sign-in", ""), Enabled: true, Codes: []string{"aaaa-bbbb", "cccc-dddd"}}
		p := render(t, TwoFactorView(m))
		var codes []string
		p.testID("recovery-codes").Find("li").Each(func(_ int, li *goquery.Selection) { codes = append(codes, text(li)) })
		if strings.Join(codes, " ") != "aaaa-bbbb cccc-dddd" {
			t.Errorf("codes %q", codes)
		}
		if p.has("totp-replace") {
			t.Errorf("the replace form shows with the new codes")
		}
	})
	t.Run("ReplaceNeedsPassword", func(t *testing.T) {
		m := TwoFactor{StaffPage: staffPage(testTriager, "Two-factor sign-in", ""), Enabled: true, CodesLeft: 3, NeedReauth: true, ReauthMinutes: 10}
		p := render(t, TwoFactorView(m))
		if p.has("totp-replace") || p.named("a", "Confirm your password").AttrOr("href", "") != "/account/reauth?next=/account/2fa" {
			t.Errorf("replacing does not ask for the password first")
		}
	})
}
