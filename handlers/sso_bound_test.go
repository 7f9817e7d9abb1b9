package handlers_test

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/handlers"
)

// TestSSOStartsBoundedPerNetwork: the start of a sign-in with a provider
// keeps a row for the client's network, as the proxy reports it. A flood
// of starts from one IPv6 /64 (each /64 has its own rate limit; here the
// limit is lifted) ends the flood's own oldest once the network holds
// db.MaxSSOLoginsPerNetwork, and a colleague's sign-in begun before it
// from another /64 of the same /48 still comes back. Before, every start
// was kept for ten minutes.
func TestSSOStartsBoundedPerNetwork(t *testing.T) {
	_, loop, _ := net.ParseCIDR("127.0.0.1/32")
	p, _, prov := ssoPortal(t, "existing", false, configure(func(c *handlers.Config) {
		c.TrustedProxies = []*net.IPNet{loop}
		c.SSORate = handlers.RateLimit{PerMinute: 1000, Burst: 1000}
	}))
	start := func(b *browser, client string) string {
		t.Helper()
		// The test clock stands still: each start a millisecond later, so
		// "the oldest" is the first (equal times leave it to the key).
		p.clock.Advance(time.Millisecond)
		b.header.Set("X-Forwarded-For", client)
		pg := b.get("/login/sso/" + itoa(prov.ID))
		u, err := url.Parse(pg.Location)
		if pg.Status != http.StatusSeeOther || err != nil || u.Query().Get("state") == "" {
			t.Fatalf("start from %s: %d %q", client, pg.Status, pg.Location)
		}
		return u.Query().Get("state")
	}
	// back is the provider sending b back with an error: the audit says
	// whether the portal still held the sign-in of state.
	back := func(b *browser, state string) bool {
		t.Helper()
		b.get("/login/sso/callback?error=access_denied&state=" + url.QueryEscape(state))
		e := p.lastAudit(t, "login.sso_refused")
		return strings.Contains(e.Detail, "provider answered access_denied")
	}
	colleague := p.browser(t)
	kept := start(colleague, "2001:db8:5:2::1")
	flooder := p.browser(t) // each start in a browser of its own: the cookie binds one
	first := start(flooder, "2001:db8:5:1::1")
	for i := range 3 * db.MaxSSOLoginsPerNetwork {
		start(p.browser(t), fmt.Sprintf("2001:db8:5:1::%x", i+2))
	}
	if back(flooder, first) {
		t.Errorf("the first of %d starts from one /64 was still kept, want the network's bound of %d", 3*db.MaxSSOLoginsPerNetwork+1, db.MaxSSOLoginsPerNetwork)
	}
	if !back(colleague, kept) {
		t.Errorf("a colleague's sign-in from the same /48 was ended by the flood from another /64")
	}
	// The place to go after signing in is kept with each start: a longer
	// one than db.MaxSSONext starts a sign-in to the queue.
	b := p.browser(t)
	b.header.Set("X-Forwarded-For", "198.51.100.9")
	if pg := b.get("/login/sso/" + itoa(prov.ID) + "?next=/" + strings.Repeat("a", db.MaxSSONext)); pg.Status != http.StatusSeeOther {
		t.Errorf("a start with a place to go of %d bytes: %d, want the provider", db.MaxSSONext+1, pg.Status)
	}
}
