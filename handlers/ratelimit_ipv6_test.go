package handlers_test

import (
	"net"
	"net/http"
	"testing"

	"github.com/disclose/disclose/handlers"
)

// TestRateLimitIPv6Network: a client with an IPv6 /64 must not get a fresh
// budget for each of its 2^64 addresses.
func TestRateLimitIPv6Network(t *testing.T) {
	_, loop, _ := net.ParseCIDR("127.0.0.1/32")
	p := newPortal(t, configure(func(c *handlers.Config) {
		c.StatusRate = handlers.RateLimit{PerMinute: 1, Burst: 1}
		c.TrustedProxies = []*net.IPNet{loop}
	}))
	if got, want := p.wrongStatusCode(t, "2001:db8:1:2::5"), http.StatusUnauthorized; got != want {
		t.Fatalf("first try: got %d, want %d", got, want)
	}
	t.Run("ErrSameNetwork", func(t *testing.T) {
		if got, want := p.wrongStatusCode(t, "2001:db8:1:2:dead:beef:0:1"), http.StatusTooManyRequests; got != want {
			t.Fatalf("another address of the same /64: got %d, want %d", got, want)
		}
	})
	t.Run("OK other network", func(t *testing.T) {
		if got, want := p.wrongStatusCode(t, "2001:db8:1:3::5"), http.StatusUnauthorized; got != want {
			t.Fatalf("another /64: got %d, want %d", got, want)
		}
	})
	t.Run("OK IPv4 clients apart", func(t *testing.T) {
		p.wrongStatusCode(t, "::ffff:203.0.113.5")
		if got, want := p.wrongStatusCode(t, "::ffff:203.0.113.6"), http.StatusUnauthorized; got != want {
			t.Fatalf("two IPv4 clients shown as ::ffff:a.b.c.d: got %d, want %d", got, want)
		}
	})
}
