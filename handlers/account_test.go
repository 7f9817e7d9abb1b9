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

var (
	secretRE   = regexp.MustCompile(`data-testid="totp-secret">([A-Z2-7]+)<`)
	recoveryRE = regexp.MustCompile(`<li>([a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4})</li>`)
	linkRE     = regexp.MustCompile(`data-testid="link">([^<]+)<`)
)

// enrolTOTP turns on the second factor of the signed-in browser and returns
// the secret and the recovery codes.
func enrolTOTP(t *testing.T, env *portal, b *browser) (string, []string) {
	t.Helper()
	p := b.get("/account/2fa")
	m := secretRE.FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatalf("no secret on the 2FA page (status %d)", p.Status)
	}
	if qr := b.get("/account/2fa/qr.png"); qr.Status != http.StatusOK || qr.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("QR code: %d %s", qr.Status, qr.Header.Get("Content-Type"))
	}
	code, err := totp.GenerateCode(m[1], env.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	p = b.post("/account/2fa", url.Values{"code": {code}})
	var codes []string
	for _, c := range recoveryRE.FindAllStringSubmatch(p.Body, -1) {
		codes = append(codes, c[1])
	}
	if p.Status != http.StatusOK || len(codes) != db.RecoveryCodeCount {
		t.Fatalf("confirm TOTP: status %d, %d recovery codes", p.Status, len(codes))
	}
	return m[1], codes
}

func TestTOTP(t *testing.T) {
	setup := func(t *testing.T) (*portal, string, []string) {
		env := newPortal(t)
		env.mustUser(t, "admin@example.org", db.RoleAdmin)
		b := env.browser(t)
		b.mustLogin("admin@example.org")
		secret, codes := enrolTOTP(t, env, b)
		return env, secret, codes
	}
	passwordStep := func(t *testing.T, env *portal) *browser {
		b := env.browser(t)
		p := b.login("admin@example.org", testPassword)
		if p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location, "/login/code") {
			t.Fatalf("password step: %d %q, want the code page", p.Status, p.Location)
		}
		if b.cookie("disclose_session") != "" {
			t.Fatal("a session started before the second factor")
		}
		b.get(p.Location)
		return b
	}
	t.Run("OK", func(t *testing.T) {
		env, secret, _ := setup(t)
		env.clock.Advance(time.Minute) // a fresh time step: the enrolment code cannot be replayed
		b := passwordStep(t, env)
		code, _ := totp.GenerateCode(secret, env.clock.Now())
		p := b.post("/login/code", url.Values{"code": {code}})
		if p.Status != http.StatusSeeOther || b.cookie("disclose_session") == "" {
			t.Fatalf("code step: %d, session=%q", p.Status, b.cookie("disclose_session"))
		}
		if p := b.get("/admin"); p.Status != http.StatusOK {
			t.Fatalf("GET /admin after 2FA: %d", p.Status)
		}
		// The same code again (replay) is refused.
		b2 := passwordStep(t, env)
		if p := b2.post("/login/code", url.Values{"code": {code}}); p.Status != http.StatusUnauthorized {
			t.Fatalf("replayed code: %d, want 401", p.Status)
		}
	})
	t.Run("ErrWrongCode", func(t *testing.T) {
		env, secret, _ := setup(t)
		env.clock.Advance(time.Minute)
		b := passwordStep(t, env)
		code, _ := totp.GenerateCode(secret, env.clock.Now().Add(-10*time.Minute))
		p := b.post("/login/code", url.Values{"code": {code}})
		if p.Status != http.StatusUnauthorized || !strings.Contains(p.Body, "That code is not right.") {
			t.Fatalf("wrong code: %d", p.Status)
		}
		if b.cookie("disclose_session") != "" {
			t.Fatal("wrong code started a session")
		}
	})
	t.Run("RecoveryCodeOnce", func(t *testing.T) {
		env, _, codes := setup(t)
		b := passwordStep(t, env)
		if p := b.post("/login/code", url.Values{"code": {strings.ToUpper(codes[3])}}); p.Status != http.StatusSeeOther {
			t.Fatalf("recovery code: %d, want 303", p.Status)
		}
		b2 := passwordStep(t, env)
		if p := b2.post("/login/code", url.Values{"code": {codes[3]}}); p.Status != http.StatusUnauthorized {
			t.Fatalf("recovery code used twice: %d, want 401", p.Status)
		}
	})
	t.Run("AdminReset", func(t *testing.T) {
		env, _, _ := setup(t)
		env.mustUser(t, "other@example.org", db.RoleAdmin)
		other := env.browser(t)
		other.mustLogin("other@example.org")
		u, _ := env.DB.UserByEmail(context.Background(), "admin@example.org")
		other.get("/admin/users/" + itoa(u.ID))
		if p := other.post("/admin/users/"+itoa(u.ID)+"/reset-2fa", nil); p.Status != http.StatusOK {
			t.Fatalf("reset 2FA: %d", p.Status)
		}
		// The password alone signs in again, and the user can enrol anew.
		b := env.browser(t)
		if p := b.login("admin@example.org", testPassword); p.Status != http.StatusSeeOther || strings.HasPrefix(p.Location, "/login/code") {
			t.Fatalf("after reset: %d %q, want a full session", p.Status, p.Location)
		}
		enrolTOTP(t, env, b)
		rows, _ := env.DB.ListAudit(context.Background(), db.AuditFilter{Action: "user.2fa"})
		if len(rows.Entries) != 3 || rows.Entries[1].Action != "user.2fa_reset" || rows.Entries[1].Actor != "other@example.org" {
			t.Fatalf("2FA audit rows: %+v", rows.Entries)
		}
	})
	t.Run("ErrPendingExpires", func(t *testing.T) {
		env, secret, _ := setup(t)
		b := passwordStep(t, env)
		env.clock.Advance(env.DB.Auth.PendingLifetime + time.Minute)
		code, _ := totp.GenerateCode(secret, env.clock.Now())
		p := b.post("/login/code", url.Values{"code": {code}})
		if p.Status != http.StatusUnauthorized || b.cookie("disclose_session") != "" {
			t.Fatalf("late code: %d", p.Status)
		}
	})
}

func TestRequire2FA(t *testing.T) {
	env := newPortal(t)
	env.mustUser(t, "admin@example.org", db.RoleAdmin)
	env.mustUser(t, "tri@example.org", db.RoleTriager)
	admin := env.browser(t)
	admin.mustLogin("admin@example.org")
	admin.get("/admin/settings")
	if p := admin.post("/admin/settings", url.Values{"require_2fa": {"1"}}); p.Status != http.StatusOK {
		t.Fatalf("save setting: %d", p.Status)
	}
	// Admin itself has no 2FA yet: it is sent to enrol too.
	if p := admin.get("/admin"); p.Location != "/account/2fa" {
		t.Fatalf("admin without 2FA: %d %q, want redirect to /account/2fa", p.Status, p.Location)
	}
	tri := env.browser(t)
	tri.mustLogin("tri@example.org")
	if p := tri.get("/admin/users"); p.Status != http.StatusSeeOther || p.Location != "/account/2fa" {
		t.Fatalf("triager without 2FA: %d %q, want redirect to /account/2fa", p.Status, p.Location)
	}
	// A form sent before enrolling says why it is refused (it read "This
	// form has expired", the CSRF check's text).
	if p := tri.post("/account/notifications", url.Values{"mode": {"none"}}); p.Status != http.StatusForbidden ||
		!strings.Contains(p.Body, "requires two-factor sign-in") || strings.Contains(p.Body, "This form has expired") {
		t.Fatalf("triager without 2FA posts a form: %d, want 403 saying why", p.Status)
	}
	enrolTOTP(t, env, tri)
	if p := tri.get("/admin"); p.Status != http.StatusForbidden {
		t.Fatalf("after enrolment, /admin for a triager: %d, want 403 (role, not 2FA)", p.Status)
	}
	rows, err := env.DB.ListAudit(context.Background(), db.AuditFilter{Action: "setting.change"})
	if err != nil || len(rows.Entries) != 1 || rows.Entries[0].Actor != "admin@example.org" {
		t.Fatalf("audit of the setting change: %v %+v", err, rows)
	}
}

func TestSetupLinks(t *testing.T) {
	ctx := context.Background()
	t.Run("FirstAdmin", func(t *testing.T) {
		env := newPortal(t)
		token, err := env.DB.FirstAdminToken(ctx)
		if err != nil || token == "" {
			t.Fatalf("first admin token: %q %v", token, err)
		}
		b := env.browser(t)
		if p := b.get("/setup/" + token); p.Status != http.StatusOK || !strings.Contains(p.Body, "Create the first admin") {
			t.Fatalf("open link: %d", p.Status)
		}
		p := b.post("/setup/"+token, url.Values{"email": {"root@example.org"}, "name": {"Root"}, "password": {testPassword}, "password2": {"different password!"}})
		if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, "The two passwords differ.") {
			t.Fatalf("mismatched passwords: %d", p.Status)
		}
		p = b.post("/setup/"+token, url.Values{"email": {"root@example.org"}, "name": {"Root"}, "password": {testPassword}, "password2": {testPassword}})
		if p.Status != http.StatusSeeOther {
			t.Fatalf("create admin: %d", p.Status)
		}
		b.mustLogin("root@example.org")
		if p := b.get("/admin"); p.Status != http.StatusOK {
			t.Fatalf("new admin opens /admin: %d", p.Status)
		}
		// ErrReused: the link works once.
		other := env.browser(t)
		if p := other.get("/setup/" + token); p.Status != http.StatusNotFound {
			t.Fatalf("reused link GET: %d, want 404", p.Status)
		}
		p = other.post("/setup/"+token, url.Values{"email": {"evil@example.org"}, "password": {testPassword}, "password2": {testPassword}})
		if p.Status != http.StatusNotFound {
			t.Fatalf("reused link POST: %d, want 404", p.Status)
		}
		if again, _ := env.DB.FirstAdminToken(ctx); again != "" {
			t.Fatal("a first-admin link was made although an admin exists")
		}
	})
	t.Run("ErrExpired", func(t *testing.T) {
		env := newPortal(t)
		token, _ := env.DB.FirstAdminToken(ctx)
		env.clock.Advance(env.DB.Auth.SetupLinkLifetime + time.Second)
		b := env.browser(t)
		b.get("/login")
		p := b.post("/setup/"+token, url.Values{"email": {"root@example.org"}, "password": {testPassword}, "password2": {testPassword}})
		if p.Status != http.StatusNotFound || !strings.Contains(p.Body, "expired or was used already") {
			t.Fatalf("expired link: %d", p.Status)
		}
	})
	t.Run("ResetEndsSessions", func(t *testing.T) {
		env := newPortal(t)
		u := env.mustUser(t, "tri@example.org", db.RoleTriager)
		old := env.browser(t)
		old.mustLogin("tri@example.org")
		token, err := env.DB.ResetLink(ctx, u.ID, db.ActorSystem)
		if err != nil {
			t.Fatal(err)
		}
		b := env.browser(t)
		b.get("/setup/" + token)
		newPassword := "a completely new passphrase"
		if p := b.post("/setup/"+token, url.Values{"password": {newPassword}, "password2": {newPassword}}); p.Status != http.StatusSeeOther {
			t.Fatalf("reset: %d", p.Status)
		}
		if p := old.get("/account/2fa"); p.Status != http.StatusSeeOther {
			t.Fatalf("old session after reset: %d, want redirect to login", p.Status)
		}
		if p := b.login("tri@example.org", testPassword); p.Status != http.StatusUnauthorized {
			t.Fatalf("old password after reset: %d", p.Status)
		}
		if p := b.login("tri@example.org", newPassword); p.Status != http.StatusSeeOther {
			t.Fatalf("new password: %d", p.Status)
		}
		if p := b.post("/setup/"+token, url.Values{"password": {"yet another passphrase"}, "password2": {"yet another passphrase"}}); p.Status != http.StatusNotFound {
			t.Fatalf("reused reset link: %d, want 404", p.Status)
		}
	})
	t.Run("ErrResetExpired", func(t *testing.T) {
		env := newPortal(t)
		u := env.mustUser(t, "tri@example.org", db.RoleTriager)
		token, _ := env.DB.ResetLink(ctx, u.ID, db.ActorSystem)
		env.clock.Advance(env.DB.Auth.SetupLinkLifetime + time.Second)
		b := env.browser(t)
		b.get("/login")
		if p := b.post("/setup/"+token, url.Values{"password": {"a completely new passphrase"}, "password2": {"a completely new passphrase"}}); p.Status != http.StatusNotFound {
			t.Fatalf("expired reset link: %d, want 404", p.Status)
		}
	})
}

func TestAdminUsers(t *testing.T) {
	t.Run("InviteDisableReset", func(t *testing.T) {
		env := newPortal(t)
		env.mustUser(t, "admin@example.org", db.RoleAdmin)
		admin := env.browser(t)
		admin.mustLogin("admin@example.org")
		admin.get("/admin/users")
		p := admin.post("/admin/users", url.Values{"email": {"new@example.org"}, "role": {"viewer"}, "program": {"1"}})
		// The link goes by mail to the address; the admin never sees it.
		links := mailedLinks(t, env, db.AccountLinkMailKind, "new@example.org", `/setup/[A-Za-z0-9_-]{43}`)
		if p.Status != http.StatusOK || linkRE.MatchString(p.Body) || oneTimeLinkRE.MatchString(p.Body) || len(links) != 1 {
			t.Fatalf("invite: %d, link shown: %v, mailed: %d", p.Status, oneTimeLinkRE.MatchString(p.Body), len(links))
		}
		link, _ := url.Parse(links[0])
		nb := env.browser(t)
		nb.get(link.Path)
		if p := nb.post(link.Path, url.Values{"name": {"Newbie"}, "password": {testPassword}, "password2": {testPassword}}); p.Status != http.StatusSeeOther {
			t.Fatalf("invitee sets password: %d", p.Status)
		}
		nb.mustLogin("new@example.org")
		u, err := env.DB.UserByEmail(context.Background(), "new@example.org")
		if err != nil || u.Name != "Newbie" || u.Role != db.RoleViewer || len(u.ProgramIDs) != 1 {
			t.Fatalf("invited user: %+v %v", u, err)
		}
		id := "/admin/users/" + itoa(u.ID)
		admin.get(id)
		if p := admin.post(id+"/disable", nil); p.Status != http.StatusOK {
			t.Fatalf("disable: %d", p.Status)
		}
		if p := nb.get("/account/2fa"); p.Status != http.StatusSeeOther {
			t.Fatalf("session of a disabled user: %d, want redirect to login", p.Status)
		}
		if p := nb.login("new@example.org", testPassword); p.Status != http.StatusUnauthorized {
			t.Fatalf("login of a disabled user: %d, want 401", p.Status)
		}
		admin.post(id+"/enable", nil)
		p = admin.post(id+"/reset-password", nil)
		if p.Status != http.StatusOK || oneTimeLinkRE.MatchString(p.Body) ||
			len(mailedLinks(t, env, db.AccountLinkMailKind, "new@example.org", `/setup/[A-Za-z0-9_-]{43}`)) != 2 {
			t.Fatalf("reset link: %d, shown: %v", p.Status, oneTimeLinkRE.MatchString(p.Body))
		}
		rows, _ := env.DB.ListAudit(context.Background(), db.AuditFilter{Actor: "admin@example.org", Action: "user."})
		var actions []string
		for _, e := range rows.Entries {
			actions = append(actions, e.Action)
		}
		if got, want := strings.Join(actions, ","), "user.reset_link,user.enable,user.disable,user.create"; got != want {
			t.Fatalf("audit actions %q, want %q", got, want)
		}
	})
	t.Run("ErrDuplicateEmail", func(t *testing.T) {
		env := newPortal(t)
		env.mustUser(t, "admin@example.org", db.RoleAdmin)
		admin := env.browser(t)
		admin.mustLogin("admin@example.org")
		admin.get("/admin/users")
		p := admin.post("/admin/users", url.Values{"email": {"ADMIN@example.org"}, "role": {"viewer"}})
		if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, "exists already") {
			t.Fatalf("duplicate invite: %d", p.Status)
		}
	})
	t.Run("ErrCSRF", func(t *testing.T) {
		env := newPortal(t)
		env.mustUser(t, "admin@example.org", db.RoleAdmin)
		admin := env.browser(t)
		admin.mustLogin("admin@example.org")
		p := admin.post("/admin/users", url.Values{"email": {"x@example.org"}, "role": {"admin"}, "csrf": {"forged"}})
		if p.Status != http.StatusForbidden {
			t.Fatalf("forged admin form: %d, want 403", p.Status)
		}
		if _, err := env.DB.UserByEmail(context.Background(), "x@example.org"); db.ErrorCode(err) != db.ENOTFOUND {
			t.Fatal("a forged form created a user")
		}
	})
}
