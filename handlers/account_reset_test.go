package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/handlers"
)

// resetLinkRE finds the link of a reset mail.
var resetLinkRE = regexp.MustCompile(`https?://[^\s/]+(/setup/[A-Za-z0-9_-]{43})\s`)

// resetMails are the reset mails in the outbox, newest first.
func resetMails(t *testing.T, p *portal) []*db.Mail {
	t.Helper()
	all, err := p.DB.Mails(context.Background(), "", 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []*db.Mail
	for _, m := range all {
		if m.Kind == db.ResetMailKind {
			out = append(out, m)
		}
	}
	return out
}

// answerOf is what a stranger sees of an answer: status, headers (but the
// per-request id and date) and body.
func answerOf(p page) string {
	var lines []string
	for k, v := range p.Header {
		if k == "X-Request-Id" || k == "Date" {
			continue
		}
		lines = append(lines, k+": "+strings.Join(v, ", "))
	}
	sort.Strings(lines)
	return http.StatusText(p.Status) + "\n" + strings.Join(lines, "\n") + "\n\n" + p.Body
}

func TestForgotPassword(t *testing.T) {
	ctx := context.Background()
	const newPassword = "a brand new passphrase"

	t.Run("OK", func(t *testing.T) {
		env := newPortal(t)
		alice := env.mustUser(t, "alice@example.org", db.RoleTriager)
		env.mustUser(t, "carol@example.org", db.RoleTriager)
		if err := env.DB.SetUserDisabled(ctx, env.mustUserID(t, "carol@example.org"), true, db.ActorSystem); err != nil {
			t.Fatal(err)
		}
		if _, _, err := env.DB.InviteUser(ctx, &db.NewUser{Email: "bob@example.org", Role: db.RoleViewer}, db.ActorSystem); err != nil {
			t.Fatal(err)
		}
		old := env.browser(t)
		old.mustLogin(alice.Email)
		if p := env.browser(t).get("/login"); !strings.Contains(p.Body, `href="/login/forgot"`) {
			t.Fatal("the sign-in page has no forgot-password link")
		}

		// One browser per address, as different strangers: the answers to
		// an account, an unknown address, a disabled account and an invited
		// one are the same, byte for byte.
		var answers []string
		for _, email := range []string{alice.Email, "nobody@example.org", "carol@example.org", "bob@example.org"} {
			b := env.browser(t)
			b.get("/login/forgot")
			p := b.post("/login/forgot", url.Values{"email": {email}})
			if p.Status != http.StatusSeeOther || p.Location != "/login/forgot?sent=1" {
				t.Fatalf("%s: %d %q, want 303 to the sent page", email, p.Status, p.Location)
			}
			answers = append(answers, answerOf(p))
			if s := b.get(p.Location); s.Status != http.StatusOK || !strings.Contains(s.Body, "If an account with that address exists") {
				t.Fatalf("sent page: %d", s.Status)
			}
		}
		for i, a := range answers[1:] {
			if a != answers[0] {
				t.Fatalf("answer %d differs from the account's:\n%s\n---\n%s", i+1, a, answers[0])
			}
		}

		mails := resetMails(t, env)
		if len(mails) != 1 || mails[0].To != alice.Email {
			t.Fatalf("%d reset mails, want one to alice", len(mails))
		}
		m := resetLinkRE.FindStringSubmatch(mails[0].Body)
		if m == nil {
			t.Fatalf("no link in the reset mail:\n%s", mails[0].Body)
		}
		link := m[1]
		token := strings.TrimPrefix(link, "/setup/")

		// Admins do not read the link in the outbox.
		admin := env.browser(t)
		env.mustUser(t, "admin@example.org", db.RoleAdmin)
		admin.mustLogin("admin@example.org")
		if p := admin.get("/admin/outbox/" + itoa(mails[0].ID)); p.Status != http.StatusOK || strings.Contains(p.Body, token) ||
			!strings.Contains(p.Body, `data-testid="mail-body-hidden"`) {
			t.Fatalf("outbox page of the reset mail: %d, link shown: %v", p.Status, strings.Contains(p.Body, token))
		}

		b := env.browser(t)
		p := b.get(link)
		if p.Status != http.StatusOK || p.Header.Get("Referrer-Policy") != "no-referrer" {
			t.Fatalf("reset page: %d, Referrer-Policy %q", p.Status, p.Header.Get("Referrer-Policy"))
		}
		if p := b.post(link, url.Values{"password": {newPassword}, "password2": {newPassword}}); p.Status != http.StatusSeeOther || p.Location != "/login?done=password" {
			t.Fatalf("set password: %d %q", p.Status, p.Location)
		}
		if p := old.get("/triage"); p.Status != http.StatusSeeOther {
			t.Fatalf("the session from before the reset: %d, want sent to sign in", p.Status)
		}
		if p := b.get(link); p.Status != http.StatusNotFound {
			t.Fatalf("the used link: %d, want 404", p.Status)
		}
		if p := b.login(alice.Email, newPassword); p.Status != http.StatusSeeOther {
			t.Fatalf("sign-in with the new password: %d", p.Status)
		}
		if logs := env.logs.String(); strings.Contains(logs, token) || strings.Contains(logs, "nobody@example.org") {
			t.Fatal("the log holds the link or an address typed")
		}
	})

	t.Run("ErrNotAnAddress", func(t *testing.T) {
		env := newPortal(t)
		b := env.browser(t)
		b.get("/login/forgot")
		if p := b.post("/login/forgot", url.Values{"email": {"alice"}}); p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, "Enter an email address") {
			t.Fatalf("not an address: %d", p.Status)
		}
	})

	t.Run("ErrRateLimited", func(t *testing.T) {
		env := newPortal(t, configure(func(c *handlers.Config) { c.ResetRate = handlers.RateLimit{PerMinute: 1, Burst: 2} }))
		b := env.browser(t)
		b.get("/login/forgot")
		for i, email := range []string{"a@example.org", "b@example.org", "c@example.org"} {
			p := b.post("/login/forgot", url.Values{"email": {email}})
			want := http.StatusSeeOther
			if i == 2 {
				want = http.StatusTooManyRequests
			}
			if p.Status != want {
				t.Fatalf("request %d from one network: %d, want %d", i+1, p.Status, want)
			}
			if i == 2 && p.Header.Get("Retry-After") == "" {
				t.Fatal("429 without Retry-After")
			}
		}
	})
}

// mustUserID is the id of an account.
func (p *portal) mustUserID(t testing.TB, email string) int64 {
	t.Helper()
	u, err := p.DB.UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

func TestAccountReview(t *testing.T) {
	ctx := context.Background()
	env := newPortal(t)
	env.mustUser(t, "admin@example.org", db.RoleAdmin)
	env.mustUser(t, "sleepy@example.org", db.RoleTriager)
	sleepy := env.browser(t)
	sleepy.mustLogin("sleepy@example.org")
	env.clock.Advance(91 * 24 * time.Hour)
	admin := env.browser(t)
	admin.mustLogin("admin@example.org")

	p := admin.get("/admin/review")
	if p.Status != http.StatusOK {
		t.Fatalf("review page: %d", p.Status)
	}
	row := regexp.MustCompile(`(?s)data-testid="review-sleepy@example.org".*?data-testid="status">(.*?)</td>`).FindStringSubmatch(p.Body)
	if row == nil || !strings.Contains(row[1], "inactive since") {
		t.Fatalf("sleepy's status: %q, want flagged inactive", row)
	}
	if !strings.Contains(p.Body, "90 days") || !strings.Contains(p.Body, `action="/admin/review/disable-inactive"`) {
		t.Fatal("the page does not say the setting or offer to disable")
	}
	if p := admin.post("/admin/review/disable-inactive", nil); p.Status != http.StatusSeeOther || p.Location != "/admin/review?done=1" {
		t.Fatalf("disable inactive: %d %q", p.Status, p.Location)
	}
	if p := sleepy.get("/triage"); p.Status != http.StatusSeeOther {
		t.Fatalf("session of the disabled account: %d, want sent to sign in", p.Status)
	}
	rows, _ := env.DB.ListAudit(ctx, db.AuditFilter{Action: "user.disable"})
	if len(rows.Entries) != 1 || rows.Entries[0].Actor != "admin@example.org" || rows.Entries[0].Target != "sleepy@example.org" {
		t.Fatalf("audit: %+v", rows.Entries)
	}
	if p := admin.get("/admin/review?done=1"); !strings.Contains(p.Body, "Disabled 1 inactive") {
		t.Fatal("no notice after disabling")
	}
}
