package handlers_test

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/handlers"
)

// TestPasskeySignInFlood: a stranger behind one IPv6 /64 (a fresh address
// each time, through the trusted proxy) starts four times the portal's
// bound of passkey sign-ins without finishing any; a triager on another
// network, who began a sign-in before the flood and begins another after
// it, finishes both and is signed in. Before, once the flood had filled
// the portal's one count every network's start was refused (503).
func TestPasskeySignInFlood(t *testing.T) {
	defer func(n int) { db.MaxPasskeySignIns = n }(db.MaxPasskeySignIns)
	db.MaxPasskeySignIns = 50
	_, proxy, _ := net.ParseCIDR("127.0.0.1/32")
	p := newPortal(t, configure(onLocalhost), configure(func(c *handlers.Config) { c.TrustedProxies = []*net.IPNet{proxy} }))
	u := p.mustUser(t, "tri@example.org", db.RoleTriager, 1)
	key := newSoftPasskey(t, p, u)
	from := func(addr string) *browser {
		b := p.browser(t)
		b.header.Set("X-Forwarded-For", addr)
		return b
	}
	begin := func(what string, b *browser) page {
		t.Helper()
		pg := b.post("/login/passkey/begin", nil)
		if pg.Status != http.StatusOK {
			t.Fatalf("%s: the sign-in did not start: %d %s", what, pg.Status, pg.Body)
		}
		return pg
	}
	finish := func(what string, b *browser, options page) {
		t.Helper()
		pg := b.post("/login/passkey", url.Values{"credential": {key.assert(t, p, options.Body)}})
		if pg.Status != http.StatusSeeOther || b.cookie("disclose_session") == "" {
			t.Fatalf("%s: not signed in: %d %.300s", what, pg.Status, pg.Body)
		}
		if pg := b.get("/triage"); pg.Status != http.StatusOK || !strings.Contains(pg.Body, "tri@example.org") {
			t.Fatalf("%s: the queue after the sign-in: %d", what, pg.Status)
		}
	}

	early := from("198.51.100.7")
	earlyOptions := begin("begun before the flood", early)
	refused := 0
	for i := range 4 * db.MaxPasskeySignIns {
		if from(fmt.Sprintf("2001:db8:1:1::%x", i+1)).post("/login/passkey/begin", nil).Status != http.StatusOK {
			refused++
		}
	}
	t.Logf("flood of %d starts from one /64: %d refused", 4*db.MaxPasskeySignIns, refused)
	late := from("2001:db8:2:2::7")
	lateOptions := begin("begun after the flood", late)
	finish("begun before the flood", early, earlyOptions)
	finish("begun after the flood", late, lateOptions)
}
