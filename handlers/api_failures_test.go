package handlers_test

import (
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/handlers"
)

// TestAPITokenFailuresLimited: a client network that keeps sending tokens
// that do not exist is held to its budget of failures: past it, 429 with
// Retry-After before the token is looked at, so even a right guess gets
// nothing; another network, and the same network's requests before the
// budget ran out, are answered as usual. Neither the log nor the audit
// holds the token text. Before, each guess was a 401, without limit.
func TestAPITokenFailuresLimited(t *testing.T) {
	_, loop, _ := net.ParseCIDR("127.0.0.1/32")
	f := newAPIFixture(t, configure(func(c *handlers.Config) {
		c.APIFailRate = handlers.RateLimit{PerMinute: 1, Burst: 3}
		c.TrustedProxies = []*net.IPNet{loop}
	}))
	good, _ := f.token(t, f.triager, db.ScopeRead, "")
	get := func(token, client string) apiAnswer {
		c := f.api(t, token)
		c.header.Set("X-Forwarded-For", client)
		return c.get("/api/v1/programs")
	}
	if a := get(good, "2001:db8:1:2::5"); a.Status != http.StatusOK {
		t.Fatalf("a good token: %d", a.Status)
	}
	guess := "dsc_guessed0token0text0that0does0not0exist"
	for i := range 3 {
		if a := get(guess+string(rune('a'+i)), "2001:db8:1:2::5"); a.Status != http.StatusUnauthorized {
			t.Fatalf("refused token %d: %d", i, a.Status)
		}
	}
	a := get(guess+"z", "2001:db8:1:2:dead::1") // another address of the same /64
	if a.Status != http.StatusTooManyRequests || a.Header.Get("Retry-After") == "" || a.problem(t)["code"] != "rate_limited" {
		t.Fatalf("past the budget: %d %v", a.Status, a.Header)
	}
	if a := get(good, "2001:db8:1:2::5"); a.Status != http.StatusTooManyRequests {
		t.Fatalf("a right token past the budget: %d, want 429 (it must not tell a right guess)", a.Status)
	}
	if a := get(guess, "2001:db8:1:3::5"); a.Status != http.StatusUnauthorized {
		t.Fatalf("another network: %d", a.Status)
	}
	if a := get(good, "203.0.113.9"); a.Status != http.StatusOK {
		t.Fatalf("a good token from another network: %d", a.Status)
	}
	if logs := f.logs.String(); strings.Contains(logs, guess) || !strings.Contains(logs, "api_token_failures") {
		t.Fatalf("the log holds the token, or not the limit:\n%s", logs)
	}
}

// TestMetricsTokenFailuresLimited: guesses at the /metrics bearer token
// spend the same budget of refused tokens (before, without limit).
func TestMetricsTokenFailuresLimited(t *testing.T) {
	p := newPortal(t, configure(func(c *handlers.Config) {
		c.MetricsToken = "s3cret-metrics-token"
		c.APIFailRate = handlers.RateLimit{PerMinute: 1, Burst: 3}
	}))
	for i := range 3 {
		if got, _ := scrape(t, p, map[string]string{"Authorization": "Bearer guess" + string(rune('a'+i))}); got != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d", i, got)
		}
	}
	if got, _ := scrape(t, p, map[string]string{"Authorization": "Bearer s3cret-metrics-token"}); got != http.StatusTooManyRequests {
		t.Fatalf("the right token past the budget: %d, want 429", got)
	}
}
