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

// TestRateLimitSite: the /64s of one IPv6 /56 share ten clients' budgets
// and those of one /48 a hundred, on the routes strangers use (receipt-code
// lookups here): whoever holds a /48 must not get 65,536 budgets. IPv4
// addresses count alone: ten VMs of a cloud's /24 do not refuse its other
// tenants. Staff sign-in keeps a budget per client (TestRateLimitSiteSparesStaff).
func TestRateLimitSite(t *testing.T) {
	_, loop, _ := net.ParseCIDR("127.0.0.1/32")
	p := newPortal(t, configure(func(c *handlers.Config) {
		c.StatusRate = handlers.RateLimit{PerMinute: 1, Burst: 1}
		c.TrustedProxies = []*net.IPNet{loop}
	}))
	try := func(addr string, want int) {
		t.Helper()
		if got := p.wrongStatusCode(t, addr); got != want {
			t.Fatalf("%s: %d, want %d", addr, got, want)
		}
	}
	try("2001:db8:7::5", http.StatusUnauthorized)
	for range 5 { // refused by its own budget: its prefixes' are not spent
		try("2001:db8:7::5", http.StatusTooManyRequests)
	}
	for i := 1; i < 10; i++ {
		try(fmt.Sprintf("2001:db8:7:%x::5", i), http.StatusUnauthorized)
	}
	try("2001:db8:7:a::5", http.StatusTooManyRequests) // the 11th /64 of the /56
	// Nine more /56s of the /48 spend ten each: 100 in all.
	for n := 1; n < 10; n++ {
		for i := range 10 {
			try(fmt.Sprintf("2001:db8:7:%x%02x::5", n, i), http.StatusUnauthorized)
		}
	}
	try("2001:db8:7:a00::5", http.StatusTooManyRequests) // an 11th /56 of the /48
	try("2001:db8:8::5", http.StatusUnauthorized)        // another /48
	for i := range 11 {
		try(fmt.Sprintf("198.51.100.%d", i+1), http.StatusUnauthorized)
	}
}
