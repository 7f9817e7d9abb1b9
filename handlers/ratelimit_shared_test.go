package handlers_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/disclose/disclose/handlers"
)

// TestSubmitRateShared: --submit-rate is one budget for submissions and
// status-page messages together, as its help says; each route had a
// budget of its own, so a client got twice what the operator set.
func TestSubmitRateShared(t *testing.T) {
	b := newPortal(t, configure(reportLimits), configure(func(c *handlers.Config) { c.SubmitRate.PerMinute, c.SubmitRate.Burst = 1, 1 })).browser(t)
	openStatus(t, b) // one submission spends the budget
	if got, want := b.post("/status/reply", url.Values{"body": {"one more thing"}}).Status, http.StatusTooManyRequests; got != want {
		t.Fatalf("a message right after a submission: got %d, want %d", got, want)
	}
}
