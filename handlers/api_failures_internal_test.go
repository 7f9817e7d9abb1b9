package handlers

import (
	"fmt"
	"runtime"
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

// TestRouteRateLimitBounded: a route rate limit's memory stays bounded
// when every request comes from a new /64 of a new /48 (a stranger holding
// a short IPv6 prefix): at most maxFailClients budgets each for clients
// and sites, a few tens of MB, where echo's memory store kept 182 MB a
// million clients for ten minutes. The site of the newest clients still
// holds them to its budget.
func TestRouteRateLimitBounded(t *testing.T) {
	st := newSiteRateStore(RateLimit{PerMinute: 1, Burst: 1})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	const n = 3 * maxFailClients
	for i := range n {
		st.Allow(fmt.Sprintf("2001:db8:%x:%x::1", i>>4, i&0xf)) // 16 /64s of each /48
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if c, s := len(st.client.clients), len(st.site.clients); c > maxFailClients || s > maxFailClients {
		t.Fatalf("after %d clients: %d client and %d site budgets kept, want at most %d each", n, c, s, maxFailClients)
	}
	grew := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("after %d new clients: %d client and %d site budgets, heap +%.1f MB", n, len(st.client.clients), len(st.site.clients), float64(grew)/(1<<20))
	if grew > 40<<20 {
		t.Fatalf("heap grew %.0f MB over %d new clients, want at most 40 (echo's store: 55)", float64(grew)/(1<<20), n)
	}
	last := (n - 1) >> 4
	for i := range 16 { // the newest /48's 16 /64s spent 16 of its 10: the next is refused
		if ok, _ := st.Allow(fmt.Sprintf("2001:db8:%x:%x::2", last, 16+i)); ok {
			t.Fatalf("a new /64 of the newest /48 passed after %d of its /64s", 16+i)
		}
	}
	runtime.KeepAlive(st)
}
