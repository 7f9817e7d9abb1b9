package handlers_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/handlers"
	"github.com/pquerna/otp/totp"
)

// from is a browser behind a trusted proxy that forwards addr as the
// client address.
type from struct {
	*browser
	addr string
}

func (f from) postForm(path string, form url.Values) page {
	f.t.Helper()
	if f.csrf == "" {
		req, _ := http.NewRequest(http.MethodGet, f.p.Server.URL+"/login", nil)
		req.Header.Set("X-Forwarded-For", f.addr)
		f.do(req)
	}
	form.Set("csrf", f.csrf)
	req, _ := http.NewRequest(http.MethodPost, f.p.Server.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Forwarded-For", f.addr)
	return f.do(req)
}

// TestStrangerCannotLockOutStaff is the attack through the web: a stranger
// fails 100 sign-ins for the admin from one address, then from a hundred
// networks; the real admin, from her own address, signs in with password
// and code at once, and the stranger stays held back.
func TestStrangerCannotLockOutStaff(t *testing.T) {
	_, proxy, _ := net.ParseCIDR("127.0.0.1/32")
	env := newPortal(t, configure(func(c *handlers.Config) { c.TrustedProxies = []*net.IPNet{proxy} }))
	u := env.mustUser(t, "admin@example.org", db.RoleAdmin)
	ctx := context.Background()
	enr, err := env.DB.StartTOTP(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	code, _ := totp.GenerateCode(enr.Secret, env.clock.Now())
	if _, err := env.DB.ConfirmTOTP(ctx, u.ID, code, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	env.clock.Advance(time.Minute)

	admin := func(t *testing.T) {
		t.Helper()
		b := from{env.browser(t), "198.51.100.7"}
		p := b.postForm("/login", url.Values{"email": {"admin@example.org"}, "password": {testPassword}})
		if p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location, "/login/code") {
			t.Fatalf("the admin's password: %d %q, want the code page", p.Status, p.Location)
		}
		code, _ := totp.GenerateCode(enr.Secret, env.clock.Now())
		if p = b.postForm("/login/code", url.Values{"code": {code}}); p.Status != http.StatusSeeOther || p.Location != "/triage" {
			t.Fatalf("the admin's code: %d %q, want signed in", p.Status, p.Location)
		}
		if p = b.get("/triage"); p.Status != http.StatusOK {
			t.Fatalf("the admin's queue: %d", p.Status)
		}
		env.clock.Advance(30 * time.Second) // a code works once
	}
	stranger := func(t *testing.T, addr string) int {
		t.Helper()
		env.clock.Advance(time.Second)
		b := from{env.browser(t), addr}
		p := b.postForm("/login", url.Values{"email": {"admin@example.org"}, "password": {"password guess"}})
		if p.Status == http.StatusSeeOther { // under attack: a decoy awaiting a code
			code, _ := totp.GenerateCode(enr.Secret, env.clock.Now())
			p = b.postForm("/login/code", url.Values{"code": {code}})
			if p.Status == http.StatusSeeOther {
				t.Fatalf("the stranger got in: %q", p.Location)
			}
		}
		return p.Status
	}

	t.Run("OK one address", func(t *testing.T) {
		held := 0
		for i := 0; i < 100; i++ {
			if stranger(t, "203.0.113.9") == http.StatusTooManyRequests {
				held++
			}
		}
		if held < 90 {
			t.Fatalf("the stranger was held back %d times of 100, want at least 90", held)
		}
		admin(t)
		if got := stranger(t, "203.0.113.9"); got != http.StatusTooManyRequests {
			t.Fatalf("the stranger after the admin: %d, want 429", got)
		}
	})
	t.Run("OK many addresses", func(t *testing.T) {
		for i := 0; i < 100; i++ {
			stranger(t, fmt.Sprintf("192.0.%d.9", i))
		}
		admin(t)
	})
	t.Run("OK audited", func(t *testing.T) {
		for action, min := range map[string]int{"login.failed": 100, "login.lockout": 1, "login.under_attack": 1, "login": 2} {
			rows, err := env.DB.ListAudit(ctx, db.AuditFilter{Action: action, Limit: 500})
			n := 0
			for _, e := range rows.Entries {
				if e.Action == action {
					n++
				}
			}
			if err != nil || n < min {
				t.Errorf("%d %s audit rows, want at least %d (%v)", n, action, min, err)
			}
		}
	})
}
