package handlers_test

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"testing"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/handlers"
)

// TestRateLimitSiteSparesStaff: a stranger who is one residential IPv6
// customer (a /60: 16 /64s, as some ISPs delegate) floods passkey sign-in
// starts; a triager who is another customer of the same ISP /48 (another
// /56) can still sign in with a passkey. The same with ten IPv4 addresses
// of a cloud /24 against a triager in that /24. Staff sign-in keeps a
// budget per client only (ratelimit.go, sitesLimited): README "Sign-in
// lockout cannot be used to lock staff out". Found by the session-8
// review, whose probe failed on 3395ec6 with "triager at 2001:db8:7:200::9
// (not the stranger's network) cannot begin a passkey sign-in: 429".
func TestRateLimitSiteSparesStaff(t *testing.T) {
	_, proxy, _ := net.ParseCIDR("127.0.0.1/32")
	for _, tc := range []struct {
		name     string
		stranger func(i int) string
		n        int
		staff    string
	}{
		{"IPv6 /60 customer vs neighbour /56", func(i int) string { return fmt.Sprintf("2001:db8:7:1%x::1", i) }, 16, "2001:db8:7:200::9"},
		{"IPv4 ten cloud VMs vs same /24", func(i int) string { return fmt.Sprintf("198.51.100.%d", 10+i) }, 10, "198.51.100.200"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPortal(t, configure(onLocalhost), configure(func(c *handlers.Config) {
				c.TrustedProxies = []*net.IPNet{proxy}
				c.SSORate = handlers.DefaultSSORate // serve's default: 10 a minute, burst 20
			}))
			u := p.mustUser(t, "tri@example.org", db.RoleTriager, 1)
			key := newSoftPasskey(t, p, u)
			from := func(addr string) *browser {
				b := p.browser(t)
				b.header.Set("X-Forwarded-For", addr)
				return b
			}
			spent := 0
			for i := range tc.n {
				for range 25 {
					if from(tc.stranger(i)).post("/login/passkey/begin", nil).Status == http.StatusOK {
						spent++
					}
				}
			}
			t.Logf("stranger's starts accepted: %d", spent)
			staff := from(tc.staff)
			pg := staff.post("/login/passkey/begin", nil)
			if pg.Status != http.StatusOK {
				t.Fatalf("triager at %s (not the stranger's network) cannot begin a passkey sign-in: %d (Retry-After %q)", tc.staff, pg.Status, pg.Header.Get("Retry-After"))
			}
			if pg := staff.post("/login/passkey", url.Values{"credential": {key.assert(t, p, pg.Body)}}); pg.Status != http.StatusSeeOther {
				t.Fatalf("triager's passkey sign-in: %d", pg.Status)
			}
		})
	}
}
