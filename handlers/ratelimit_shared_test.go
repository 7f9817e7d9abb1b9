package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestSubmitRateShared: --submit-rate is one budget for submissions and
// status-page messages together, as its help says; each route had a
// budget of its own, so a client got twice what the operator set.
func TestSubmitRateShared(t *testing.T) {
	cfg := plainConfig()
	cfg.SubmitRate.PerMinute, cfg.SubmitRate.Burst = 1, 1
	p := newPortal(t, cfg)
	csrf, _ := openStatus(t, p) // one submission spends the budget
	resp, _ := p.do(p.client, http.MethodPost, "/status/reply", "application/x-www-form-urlencoded",
		strings.NewReader(url.Values{"csrf": {csrf}, "body": {"one more thing"}}.Encode()))
	if got, want := resp.StatusCode, http.StatusTooManyRequests; got != want {
		t.Fatalf("a message right after a submission: got %d, want %d", got, want)
	}
}
