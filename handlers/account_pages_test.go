package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/pquerna/otp/totp"
)

var sessionEndRE = regexp.MustCompile(`action="/account/sessions/([0-9a-f]+)/end"`)

// TestChangeOwnPassword: staff change their own password with the current
// one; every other session ends, this one stays, and it is audited.
func TestChangeOwnPassword(t *testing.T) {
	env := newPortal(t)
	env.mustUser(t, "tri@example.org", db.RoleTriager)
	b, other := env.browser(t), env.browser(t)
	b.mustLogin("tri@example.org")
	other.mustLogin("tri@example.org")
	const newPassword = "four random words here"

	if p := b.get("/account/password"); p.Status != http.StatusOK || !strings.Contains(p.Body, `autocomplete="current-password"`) {
		t.Fatalf("form: %d", p.Status)
	}
	t.Run("ErrNoCSRF", func(t *testing.T) {
		p := b.post("/account/password", url.Values{"csrf": {""}, "current": {testPassword}, "password": {newPassword}, "password2": {newPassword}})
		if p.Status != http.StatusForbidden {
			t.Fatalf("status %d, want 403", p.Status)
		}
	})
	t.Run("ErrWrongCurrent", func(t *testing.T) {
		p := b.post("/account/password", url.Values{"current": {"not my password"}, "password": {newPassword}, "password2": {newPassword}})
		if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, "That is not your current password.") ||
			!strings.Contains(p.Body, `href="#f-current"`) {
			t.Fatalf("status %d", p.Status)
		}
	})
	t.Run("ErrMismatch", func(t *testing.T) {
		p := b.post("/account/password", url.Values{"current": {testPassword}, "password": {newPassword}, "password2": {newPassword + "!"}})
		if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, "The two passwords differ.") {
			t.Fatalf("status %d", p.Status)
		}
	})
	t.Run("OK", func(t *testing.T) {
		p := b.post("/account/password", url.Values{"current": {testPassword}, "password": {newPassword}, "password2": {newPassword}})
		if p.Status != http.StatusSeeOther {
			t.Fatalf("status %d", p.Status)
		}
		if p = b.get(p.Location); !strings.Contains(p.Body, "Your password is changed.") || !strings.Contains(p.Body, "One other session was ended.") {
			t.Fatalf("after the change: %d", p.Status)
		}
		if p := b.get("/triage"); p.Status != http.StatusOK {
			t.Fatalf("this session: %d, want it signed in", p.Status)
		}
		if p := other.get("/triage"); p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location, "/login") {
			t.Fatalf("the other session: %d %q, want sent to sign in", p.Status, p.Location)
		}
		if p := env.browser(t).login("tri@example.org", newPassword); p.Status != http.StatusSeeOther {
			t.Fatalf("sign-in with the new password: %d", p.Status)
		}
		rows, _ := env.DB.ListAudit(context.Background(), db.AuditFilter{Action: "user.password_change"})
		if len(rows.Entries) != 1 || rows.Entries[0].Actor != "tri@example.org" {
			t.Fatalf("audit: %+v", rows.Entries)
		}
	})
}

// TestOwnSessions: staff see their sessions (this one marked), end one or
// all others, and cannot end anyone else's.
func TestOwnSessions(t *testing.T) {
	env := newPortal(t)
	env.mustUser(t, "tri@example.org", db.RoleTriager)
	env.mustUser(t, "view@example.org", db.RoleViewer)
	b, laptop, phone, someone := env.browser(t), env.browser(t), env.browser(t), env.browser(t)
	for _, x := range []*browser{b, laptop, phone} {
		x.mustLogin("tri@example.org")
	}
	someone.mustLogin("view@example.org")
	ids := func(x *browser) []string {
		p := x.get("/account/sessions")
		if p.Status != http.StatusOK {
			t.Fatalf("sessions page: %d", p.Status)
		}
		var out []string
		for _, m := range sessionEndRE.FindAllStringSubmatch(p.Body, -1) {
			out = append(out, m[1])
		}
		return out
	}
	p := b.get("/account/sessions")
	if got := strings.Count(p.Body, `data-testid="session"`); got != 3 {
		t.Fatalf("%d sessions listed, want 3", got)
	}
	if got := strings.Count(p.Body, `data-testid="current-session"`); got != 1 {
		t.Fatalf("%d sessions marked current, want 1", got)
	}
	theirs := ids(someone)
	if len(theirs) != 0 {
		t.Fatalf("the viewer has %d other sessions, want 0", len(theirs))
	}
	mine := ids(b)
	if len(mine) != 2 {
		t.Fatalf("%d end buttons, want 2", len(mine))
	}
	t.Run("ErrAnotherUsersSession", func(t *testing.T) {
		if p := someone.post("/account/sessions/"+mine[0]+"/end", nil); p.Status != http.StatusNotFound {
			t.Fatalf("status %d, want 404", p.Status)
		}
		if p := laptop.get("/triage"); p.Status != http.StatusOK {
			t.Fatal("another user ended a session of tri")
		}
		if p := phone.get("/triage"); p.Status != http.StatusOK {
			t.Fatal("another user ended a session of tri")
		}
	})
	t.Run("OK one", func(t *testing.T) {
		b.get("/account/sessions")
		if p := b.post("/account/sessions/"+mine[0]+"/end", nil); p.Status != http.StatusSeeOther {
			t.Fatalf("status %d", p.Status)
		}
		alive := 0
		for _, x := range []*browser{laptop, phone} {
			if x.get("/triage").Status == http.StatusOK {
				alive++
			}
		}
		if alive != 1 {
			t.Fatalf("%d of the two other sessions alive, want 1", alive)
		}
	})
	t.Run("OK others", func(t *testing.T) {
		laptop.mustLogin("tri@example.org")
		if p := b.post("/account/sessions/end-others", nil); p.Status != http.StatusSeeOther {
			t.Fatalf("status %d", p.Status)
		}
		for _, x := range []*browser{laptop, phone} {
			if x.get("/triage").Status == http.StatusOK {
				t.Fatal("another session survived")
			}
		}
		if b.get("/triage").Status != http.StatusOK || someone.get("/triage").Status != http.StatusOK {
			t.Fatal("a session that should stay ended")
		}
		rows, _ := env.DB.ListAudit(context.Background(), db.AuditFilter{Action: "session."})
		if len(rows.Entries) != 2 {
			t.Fatalf("%d session audit rows, want 2", len(rows.Entries))
		}
	})
}

// TestReauthBeforeSecondFactor: setting up or replacing the second factor
// needs the password typed in the last ReauthWindow: a stolen cookie alone
// cannot bind the account to the thief's device.
func TestReauthBeforeSecondFactor(t *testing.T) {
	env := newPortal(t)
	u := env.mustUser(t, "tri@example.org", db.RoleTriager)
	b, other := env.browser(t), env.browser(t)
	b.mustLogin("tri@example.org")
	other.mustLogin("tri@example.org")
	env.clock.Advance(env.DB.Auth.ReauthWindow)
	b.get("/triage") // keep the session alive past the window

	t.Run("ErrStaleSetup", func(t *testing.T) {
		p := b.get("/account/2fa")
		if p.Status != http.StatusOK || !strings.Contains(p.Body, `data-testid="reauth-link"`) || secretRE.MatchString(p.Body) {
			t.Fatalf("status %d; the page must ask for the password and show no secret", p.Status)
		}
		if qr := b.get("/account/2fa/qr.png"); qr.Status != http.StatusNotFound {
			t.Fatalf("QR code: %d, want 404", qr.Status)
		}
		if p := b.post("/account/2fa", url.Values{"code": {"123456"}}); p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location, "/account/reauth") {
			t.Fatalf("confirm: %d %q, want sent to re-authenticate", p.Status, p.Location)
		}
	})
	t.Run("ErrWrongPassword", func(t *testing.T) {
		b.get("/account/reauth?next=/account/2fa")
		p := b.post("/account/reauth", url.Values{"next": {"/account/2fa"}, "password": {"not my password"}})
		if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, "That is not your current password.") {
			t.Fatalf("status %d", p.Status)
		}
	})
	t.Run("ErrOffsiteNext", func(t *testing.T) {
		p := b.post("/account/reauth", url.Values{"next": {"https://evil.example/"}, "password": {testPassword}})
		if p.Status != http.StatusSeeOther || p.Location != "/account/2fa" {
			t.Fatalf("%d %q, want /account/2fa", p.Status, p.Location)
		}
	})
	var secret string
	t.Run("OK setup", func(t *testing.T) {
		secret, _ = enrolTOTP(t, env, b)
	})
	t.Run("OK replace", func(t *testing.T) {
		env.clock.Advance(env.DB.Auth.ReauthWindow)
		b.get("/triage")
		if p := b.get("/account/2fa"); strings.Contains(p.Body, `data-testid="totp-replace"`) || !strings.Contains(p.Body, `data-testid="reauth-link"`) {
			t.Fatal("the replace form is offered without a recent password")
		}
		if p := b.post("/account/2fa/replace", nil); p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location, "/account/reauth") {
			t.Fatalf("stale replace: %d %q, want sent to re-authenticate", p.Status, p.Location)
		}
		if !env.mustTOTP(t, u.ID) {
			t.Fatal("a stale replace turned the second factor off")
		}
		b.get("/account/reauth")
		if p := b.post("/account/reauth", url.Values{"next": {"/account/2fa"}, "password": {testPassword}}); p.Status != http.StatusSeeOther {
			t.Fatalf("re-authenticate: %d", p.Status)
		}
		if p := b.get("/account/2fa"); !strings.Contains(p.Body, `data-testid="totp-replace"`) {
			t.Fatal("no replace form after re-authentication")
		}
		if p := b.post("/account/2fa/replace", nil); p.Status != http.StatusSeeOther || p.Location != "/account/2fa" {
			t.Fatalf("replace: %d %q", p.Status, p.Location)
		}
		newSecret, _ := enrolTOTP(t, env, b)
		if newSecret == secret {
			t.Fatal("the new secret is the old one")
		}
		if p := other.get("/triage"); p.Status == http.StatusOK {
			t.Fatal("another session survived the replacement")
		}
		// The old device's codes no longer sign in.
		env.clock.Advance(time.Minute)
		res, err := env.DB.Login(context.Background(), "tri@example.org", testPassword, "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		code, _ := totp.GenerateCode(secret, env.clock.Now())
		if _, err := env.DB.LoginSecondFactor(context.Background(), res.PendingToken, code, "192.0.2.1"); err == nil {
			t.Fatal("the old device's code signed in")
		}
		rows, _ := env.DB.ListAudit(context.Background(), db.AuditFilter{Action: "user.2fa_replace"})
		if len(rows.Entries) != 1 {
			t.Fatalf("%d replace audit rows, want 1", len(rows.Entries))
		}
	})
}

func (e *portal) mustTOTP(t *testing.T, userID int64) bool {
	t.Helper()
	u, err := e.DB.UserByID(context.Background(), userID)
	if err != nil {
		t.Fatal(err)
	}
	return u.TOTPEnabled
}
