package handlers_test

import (
	"fmt"
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

// TestRateLimitSite: the /64s of one IPv6 /48 (and the addresses of one
// IPv4 /24) share ten clients' budgets: whoever holds a /48 must not get
// 65,536 budgets. A try its own client's budget refuses spends nothing of
// the site's, so one noisy client does not use up its neighbours' share.
func TestRateLimitSite(t *testing.T) {
	_, loop, _ := net.ParseCIDR("127.0.0.1/32")
	p := newPortal(t, configure(func(c *handlers.Config) {
		c.StatusRate = handlers.RateLimit{PerMinute: 1, Burst: 1}
		c.TrustedProxies = []*net.IPNet{loop}
	}))
	for _, site := range []struct {
		name   string
		client func(i int) string
		other  string
	}{
		{"IPv6 /48", func(i int) string { return fmt.Sprintf("2001:db8:7:%x::5", i) }, "2001:db8:8::5"},
		{"IPv4 /24", func(i int) string { return fmt.Sprintf("198.51.100.%d", i+1) }, "198.51.101.1"},
	} {
		t.Run(site.name, func(t *testing.T) {
			if got := p.wrongStatusCode(t, site.client(0)); got != http.StatusUnauthorized {
				t.Fatalf("first client's try: %d", got)
			}
			for range 5 { // refused by its own budget: the site's is not spent
				if got := p.wrongStatusCode(t, site.client(0)); got != http.StatusTooManyRequests {
					t.Fatalf("first client's second try: %d, want 429", got)
				}
			}
			for i := 1; i < 10; i++ {
				if got := p.wrongStatusCode(t, site.client(i)); got != http.StatusUnauthorized {
					t.Fatalf("client %d of the site (%s): %d, want its try", i+1, site.client(i), got)
				}
			}
			if got := p.wrongStatusCode(t, site.client(10)); got != http.StatusTooManyRequests {
				t.Fatalf("11th client of the site (%s): %d, want 429", site.client(10), got)
			}
			if got := p.wrongStatusCode(t, site.other); got != http.StatusUnauthorized {
				t.Fatalf("a client of another site (%s): %d, want its try", site.other, got)
			}
		})
	}
}
