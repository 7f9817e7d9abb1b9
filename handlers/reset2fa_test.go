package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/disclose/disclose/db"
)

// TestResetTwoFactorEndsSessions: an admin resets a second factor because
// the device is lost or stolen. Whoever holds a session of that account, or
// a login waiting for its code, must sign in again.
func TestResetTwoFactorEndsSessions(t *testing.T) {
	env := newPortal(t)
	env.mustUser(t, "victim@example.org", db.RoleAdmin)
	env.mustUser(t, "admin@example.org", db.RoleAdmin)
	held := env.browser(t)
	held.mustLogin("victim@example.org")
	enrolTOTP(t, env, held)
	pending := env.browser(t)
	if p := pending.login("victim@example.org", testPassword); p.Status != http.StatusSeeOther {
		t.Fatalf("password step: %d", p.Status)
	}
	pending.get("/login/code")

	admin := env.browser(t)
	admin.mustLogin("admin@example.org")
	u, _ := env.DB.UserByEmail(context.Background(), "victim@example.org")
	admin.get("/admin/users/" + itoa(u.ID))
	if p := admin.post("/admin/users/"+itoa(u.ID)+"/reset-2fa", nil); p.Status != http.StatusOK {
		t.Fatalf("reset 2FA: %d", p.Status)
	}

	t.Run("ErrSessionEnded", func(t *testing.T) {
		if p, want := held.get("/admin"), http.StatusSeeOther; p.Status != want {
			t.Fatalf("GET /admin with the old session: got %d, want %d (to the login page)", p.Status, want)
		}
	})
	t.Run("ErrPendingLoginEnded", func(t *testing.T) {
		p := pending.post("/login/code", url.Values{"code": {"000000"}})
		if got, want := p.Status, http.StatusUnauthorized; got != want || pending.cookie("disclose_session") != "" {
			t.Fatalf("code step after the reset: got %d, want %d and no session", got, want)
		}
	})
	t.Run("OK admin keeps theirs", func(t *testing.T) {
		if p := admin.get("/admin"); p.Status != http.StatusOK {
			t.Fatalf("the resetting admin: %d", p.Status)
		}
	})
}
