package handlers

import (
	"strconv"
	"testing"
	"time"
)

// TestFailLimiterBounded: strangers from ever new networks (an IPv6 /64
// each) cannot grow the limiter's memory past maxFailClients, and the
// clients spending most recently are the ones kept.
func TestFailLimiterBounded(t *testing.T) {
	f := newFailLimiter(RateLimit{PerMinute: 1, Burst: 1})
	now := time.Now()
	for i := range 3 * maxFailClients {
		now = now.Add(time.Microsecond)
		f.refuse("net:"+strconv.Itoa(i), now)
		if len(f.clients) > maxFailClients {
			t.Fatalf("%d clients remembered after %d, want at most %d", len(f.clients), i+1, maxFailClients)
		}
	}
	if ok, _ := f.refuse("net:"+strconv.Itoa(3*maxFailClients-1), now); ok {
		t.Fatal("the newest client past its budget is not blocked")
	}
}
