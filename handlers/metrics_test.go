package handlers_test

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/handlers"
)

func scrape(t *testing.T, p *portal, header map[string]string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, p.Server.URL+"/metrics", nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestMetrics(t *testing.T) {
	p := newPortal(t, configure(func(c *handlers.Config) { c.MetricsLoopback = true }))
	c := p.browser(t)
	c.fileReport(map[string]string{"title": "Metrics test", "description": "d"})
	c.get("/status/attachments/987654321")

	t.Run("OK", func(t *testing.T) {
		status, body := scrape(t, p, nil)
		if status != http.StatusOK {
			t.Fatalf("status %d for a loopback client", status)
		}
		for _, want := range []string{
			`disclose_http_requests_total{method="POST",route="/report",status="200"} 1`,
			`disclose_http_request_duration_seconds_bucket{route="/report",le="0.5"}`,
			`disclose_http_requests_total{method="GET",route="/status/attachments/:id",status="404"} 1`,
			`disclose_reports{state="new"} 1`,
			`disclose_reports{state="spam"} 0`,
			`disclose_reports_received_total{source="web"} 1`,
			`disclose_reports_received_total{source="email"} 0`,
			`disclose_outbox_backlog 0`,
			`disclose_outbox_failed 0`,
			`disclose_deadline_breaches{deadline="triage"} 0`,
			`disclose_imap_poll_errors_total 0`,
			`disclose_outbox_send_failures_total 0`,
			`disclose_stats_up 1`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("metrics lack %s", want)
			}
		}
		if strings.Contains(body, "987654321") {
			t.Error("a raw URL reached a label")
		}
		for _, line := range strings.Split(body, "\n") {
			if line != "" && !strings.HasPrefix(line, "#") && !strings.HasPrefix(line, "disclose_") {
				t.Fatalf("metric without the disclose_ prefix: %s", line)
			}
		}
	})
	t.Run("DeadlineBreaches", func(t *testing.T) {
		p.clock.Advance(11 * 24 * time.Hour)
		defer p.clock.Advance(-11 * 24 * time.Hour)
		_, body := scrape(t, p, nil)
		for _, want := range []string{`disclose_deadline_breaches{deadline="triage"} 1`, `disclose_deadline_breaches{deadline="first_response"} 1`} {
			if !strings.Contains(body, want) {
				t.Errorf("metrics lack %s", want)
			}
		}
	})
	t.Run("Problems", func(t *testing.T) {
		_, before := scrape(t, p, nil)
		if strings.Contains(before, `disclose_problem{`) {
			t.Fatal("a problem before any was set")
		}
		// The registry is what the mail workers set; the metric follows it.
		p.problems.Set("imap", "IMAP login refused: check DISCLOSE_IMAP_PASSWORD")
		_, body := scrape(t, p, nil)
		if !strings.Contains(body, `disclose_problem{problem="imap"} 1`) {
			t.Fatal("problem not exported")
		}
	})
	t.Run("ErrForwardedLoopback", func(t *testing.T) {
		status, body := scrape(t, p, map[string]string{"X-Forwarded-For": "203.0.113.9"})
		if status != http.StatusUnauthorized || strings.Contains(body, "disclose_reports") {
			t.Fatalf("status %d for a request a local proxy forwarded", status)
		}
	})
}

func TestMetricsToken(t *testing.T) {
	_, loop, _ := net.ParseCIDR("127.0.0.0/8")
	p := newPortal(t, configure(func(c *handlers.Config) {
		c.MetricsToken = "s3cret-metrics-token"
		c.TrustedProxies = []*net.IPNet{loop} // the proxy runs on this machine
	}))
	for name, tc := range map[string]struct {
		auth string
		want int
	}{
		"ErrNoToken":    {"", http.StatusUnauthorized},
		"ErrWrongToken": {"Bearer s3cret-metrics-tokeX", http.StatusUnauthorized},
		"ErrBasic":      {"Basic czNjcmV0LW1ldHJpY3MtdG9rZW4=", http.StatusUnauthorized},
		"OK":            {"Bearer s3cret-metrics-token", http.StatusOK},
	} {
		t.Run(name, func(t *testing.T) {
			h := map[string]string{}
			if tc.auth != "" {
				h["Authorization"] = tc.auth
			}
			if got, _ := scrape(t, p, h); got != tc.want {
				t.Fatalf("status %d, want %d", got, tc.want)
			}
		})
	}
}

// TestTrustedProxies checks that the rate limit keys on the address a
// trusted proxy forwards, and ignores the header when the proxy is not
// trusted.
func TestTrustedProxies(t *testing.T) {
	limit := func(c *handlers.Config) { c.StatusRate = handlers.RateLimit{PerMinute: 1, Burst: 1} }
	t.Run("OK", func(t *testing.T) {
		_, loop, _ := net.ParseCIDR("127.0.0.1/32")
		p := newPortal(t, configure(func(c *handlers.Config) { limit(c); c.TrustedProxies = []*net.IPNet{loop} }))
		if got := p.wrongStatusCode(t, "203.0.113.5"); got != http.StatusUnauthorized {
			t.Fatalf("first try: %d", got)
		}
		if got := p.wrongStatusCode(t, "203.0.113.5"); got != http.StatusTooManyRequests {
			t.Fatalf("second try from the same client: %d, want 429", got)
		}
		if got := p.wrongStatusCode(t, "203.0.113.6"); got != http.StatusUnauthorized {
			t.Fatalf("another client behind the proxy: %d, want 401", got)
		}
		if !strings.Contains(p.logs.String(), `"client":"203.0.113.5"`) {
			t.Fatal("log does not name the forwarded client")
		}
	})
	t.Run("ErrUntrustedHeaderIgnored", func(t *testing.T) {
		p := newPortal(t, configure(limit))
		p.wrongStatusCode(t, "203.0.113.5")
		if got := p.wrongStatusCode(t, "203.0.113.6"); got != http.StatusTooManyRequests {
			t.Fatalf("a forged X-Forwarded-For escaped the limit: %d", got)
		}
	})
}
