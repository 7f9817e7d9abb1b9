package handlers_test

import (
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/disclose/disclose/handlers"
)

// TestMetricsLoopbackOff: /metrics trusted any loopback peer that sent no
// forwarding header, so a reverse proxy on the same host that adds none
// (a plain proxy_pass, a tunnel, a sidecar) published it to the world.
// Without a token, /metrics is now closed unless the operator says no such
// proxy runs here.
func TestMetricsLoopbackOff(t *testing.T) {
	_, loop, _ := net.ParseCIDR("127.0.0.0/8")
	_, far, _ := net.ParseCIDR("10.0.0.0/8")
	for name, tc := range map[string]struct {
		mod  func(*handlers.Config)
		want int
	}{
		"ErrDefault":                {nil, http.StatusUnauthorized},
		"ErrPeerIsTrustedProxy":     {func(c *handlers.Config) { c.MetricsLoopback, c.TrustedProxies = true, []*net.IPNet{loop} }, http.StatusUnauthorized},
		"OK loopback on":            {func(c *handlers.Config) { c.MetricsLoopback = true }, http.StatusOK},
		"OK loopback, remote proxy": {func(c *handlers.Config) { c.MetricsLoopback, c.TrustedProxies = true, []*net.IPNet{far} }, http.StatusOK},
	} {
		t.Run(name, func(t *testing.T) {
			p := newPortal(t, configure(tc.mod))
			status, body := scrape(t, p, nil) // what a header-less local proxy passes on
			if status != tc.want {
				t.Fatalf("status %d, want %d", status, tc.want)
			}
			if status != http.StatusOK && strings.Contains(body, "disclose_") {
				t.Fatal("a refusal carries metrics")
			}
		})
	}
}
