package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
)

func TestLogin(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		env := newPortal(t)
		env.mustUser(t, "admin@example.org", db.RoleAdmin)
		b := env.browser(t)
		p := b.get("/admin/users?x=1")
		if got, want := p.Location, "/login?next="+url.QueryEscape("/admin/users?x=1"); p.Status != http.StatusSeeOther || got != want {
			t.Fatalf("unauthenticated GET: %d %q, want 303 %q", p.Status, got, want)
		}
		b.get("/login")
		p = b.post("/login", url.Values{"email": {"admin@example.org"}, "password": {testPassword}, "next": {"/admin"}})
		if got, want := p.Location, "/admin"; got != want {
			t.Fatalf("after login: %d %q, want %q", p.Status, got, want)
		}
		if p = b.get("/admin"); p.Status != http.StatusOK {
			t.Fatalf("GET /admin: %d", p.Status)
		}
	})
	t.Run("ErrWrongPassword", func(t *testing.T) {
		env := newPortal(t)
		env.mustUser(t, "admin@example.org", db.RoleAdmin)
		b := env.browser(t)
		p := b.login("admin@example.org", "not the password")
		if p.Status != http.StatusUnauthorized || !strings.Contains(p.Body, "Email or password is wrong.") {
			t.Fatalf("status %d, want 401 with the generic message", p.Status)
		}
		if b.cookie("disclose_session") != "" {
			t.Fatal("a failed login set a session cookie")
		}
	})
	t.Run("ErrOffsiteNext", func(t *testing.T) {
		env := newPortal(t)
		env.mustUser(t, "admin@example.org", db.RoleAdmin)
		for _, next := range []string{"https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"} {
			b := env.browser(t)
			b.get("/login")
			p := b.post("/login", url.Values{"email": {"admin@example.org"}, "password": {testPassword}, "next": {next}})
			if got, want := p.Location, "/triage"; got != want {
				t.Fatalf("next=%q: redirected to %q, want %q", next, got, want)
			}
		}
	})
	t.Run("ErrUnauthenticatedPost", func(t *testing.T) {
		env := newPortal(t)
		b := env.browser(t)
		b.get("/login")
		if p := b.post("/admin/users", url.Values{"email": {"x@example.org"}}); p.Status != http.StatusUnauthorized {
			t.Fatalf("status %d, want 401", p.Status)
		}
	})
	t.Run("NewTokenAtLogin", func(t *testing.T) {
		env := newPortal(t)
		env.mustUser(t, "admin@example.org", db.RoleAdmin)
		b := env.browser(t)
		// An attacker plants a session cookie value before the victim logs in.
		u, _ := url.Parse(env.Server.URL)
		planted := strings.Repeat("A", 43)
		b.c.Jar.SetCookies(u, []*http.Cookie{{Name: "disclose_session", Value: planted, Path: "/"}})
		b.mustLogin("admin@example.org")
		if got := b.cookie("disclose_session"); got == planted || got == "" {
			t.Fatalf("session cookie after login = %q, want a new token", got)
		}
	})
	t.Run("LogoutInvalidates", func(t *testing.T) {
		env := newPortal(t)
		env.mustUser(t, "admin@example.org", db.RoleAdmin)
		b := env.browser(t)
		b.mustLogin("admin@example.org")
		token := b.cookie("disclose_session")
		b.get("/admin")
		if p := b.post("/logout", nil); p.Location != "/login?done=out" {
			t.Fatalf("logout: %d %q", p.Status, p.Location)
		}
		// Replaying the old cookie does not bring the session back.
		thief := env.browser(t)
		u, _ := url.Parse(env.Server.URL)
		thief.c.Jar.SetCookies(u, []*http.Cookie{{Name: "disclose_session", Value: token, Path: "/"}})
		if p := thief.get("/admin"); p.Status != http.StatusSeeOther {
			t.Fatalf("old token after logout: %d, want 303 to login", p.Status)
		}
	})
	t.Run("ErrCSRF", func(t *testing.T) {
		env := newPortal(t)
		env.mustUser(t, "admin@example.org", db.RoleAdmin)
		b := env.browser(t)
		b.get("/login")
		p := b.post("/login", url.Values{"email": {"admin@example.org"}, "password": {testPassword}, "csrf": {"forged"}})
		if p.Status != http.StatusForbidden || b.cookie("disclose_session") != "" {
			t.Fatalf("login with a forged token: %d", p.Status)
		}
	})
	t.Run("HTTPSCookies", func(t *testing.T) {
		env := newPortal(t, scheme("https"))
		env.mustUser(t, "admin@example.org", db.RoleAdmin)
		b := env.browser(t)
		b.get("/login")
		p := b.post("/login", url.Values{"email": {"admin@example.org"}, "password": {testPassword}})
		var set string
		for _, c := range p.Header.Values("Set-Cookie") {
			if strings.HasPrefix(c, "__Host-disclose_session=") {
				set = c
			}
		}
		for _, want := range []string{"Path=/", "HttpOnly", "Secure", "SameSite=Lax"} {
			if !strings.Contains(set, want) {
				t.Fatalf("session cookie %q lacks %s (status %d)", set, want, p.Status)
			}
		}
	})
}
