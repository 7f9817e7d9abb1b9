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
// that do not exist is held to its budget of failures: past it, a refusal
// is a 429 with Retry-After; a valid token from that same network still
// passes (review6 F2: before, a stranger sharing the network locked every
// valid token out with 20 made-up ones); another network is answered as
// usual. Neither the log nor the audit holds the token text.
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
	if a := get(good, "2001:db8:1:2::5"); a.Status != http.StatusOK {
		t.Fatalf("a valid token from a network past its budget of refusals: %d, want 200", a.Status)
	}
	if a := get(guess+"y", "2001:db8:1:2::5"); a.Status != http.StatusTooManyRequests {
		t.Fatalf("a refusal after the valid token: %d, want 429 still", a.Status)
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
// are held to a budget of their own: past it a guess is a 429, but the
// right token still scrapes, and the scrape guesses do not spend the
// API's budget nor the API's the scrape's (review6 F2: before, three
// guesses from the scraper's network blinded monitoring).
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
	if got, _ := scrape(t, p, map[string]string{"Authorization": "Bearer guessz"}); got != http.StatusTooManyRequests {
		t.Fatalf("a guess past the budget: %d, want 429", got)
	}
	if got, _ := scrape(t, p, map[string]string{"Authorization": "Bearer s3cret-metrics-token"}); got != http.StatusOK {
		t.Fatalf("the right token from a network past its budget of guesses: %d, want 200", got)
	}
}
