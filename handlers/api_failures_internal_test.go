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
// when every request comes from a new /64 of a new /56 (a stranger holding
// a short IPv6 prefix): at most maxFailClients budgets per tier, a few tens
// of MB, where echo's memory store kept 182 MB a million clients for ten
// minutes. The newest /48 is still held to its budget.
func TestRouteRateLimitBounded(t *testing.T) {
	st := newTieredRateStore(RateLimit{PerMinute: 1, Burst: 1}, true)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	const n = 3 * maxFailClients
	now := time.Now()
	for i := range n { // a new /56 each time, 256 of each /48
		st.allowAt(fmt.Sprintf("2001:db8:%x:%x00::1", i>>8, i&0xff), now)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	kept := []int{len(st.client.clients)}
	for _, s := range st.sites {
		kept = append(kept, len(s.clients))
	}
	for _, k := range kept {
		if k > maxFailClients {
			t.Fatalf("after %d clients: %v budgets kept (client, /56, /48), want at most %d each", n, kept, maxFailClients)
		}
	}
	grew := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("after %d new clients: %v budgets (client, /56, /48), heap +%.1f MB", n, kept, float64(grew)/(1<<20))
	if grew > 48<<20 {
		t.Fatalf("heap grew %.0f MB over %d new clients, want at most 48 (echo's store: 55 for the clients alone)", float64(grew)/(1<<20), n)
	}
	// The newest /48 (its last 256 /56s each spent 1 of its 100): refused.
	if st.allowAt(fmt.Sprintf("2001:db8:%x:ff01::1", (n-1)>>8), now) {
		t.Fatal("a new /64 of the newest /48 passed after 256 of its /56s spent its 100 budgets")
	}
	runtime.KeepAlive(st)
}

// TestRateLimitRefusedSpendsNothing: a client refused because its /56's
// neighbours spent the prefix's share has its own budget whole when the
// share refills, however often it tried meanwhile.
func TestRateLimitRefusedSpendsNothing(t *testing.T) {
	st := newTieredRateStore(RateLimit{PerMinute: 1, Burst: 1}, true)
	now := time.Now()
	for i := range 10 { // ten /64s of one /56 spend its share of 10
		if !st.allowAt(fmt.Sprintf("2001:db8:1:%x::1", i), now) {
			t.Fatalf("neighbour %d refused", i)
		}
	}
	victim := "2001:db8:1:ff::1"
	for range 5 {
		if st.allowAt(victim, now) {
			t.Fatal("the victim passed with its /56's share spent")
		}
	}
	// The /56's share refills one token per 6 s (10 a minute); the victim's
	// own budget (1 a minute) must still hold its token.
	if !st.allowAt(victim, now.Add(7*time.Second)) {
		t.Fatal("7 s later the victim is refused: its refused tries spent its own budget")
	}
	// A limit without sites: the 11th /64 of the /56 passes.
	plain := newTieredRateStore(RateLimit{PerMinute: 1, Burst: 1}, false)
	for i := range 11 {
		if !plain.allowAt(fmt.Sprintf("2001:db8:1:%x::1", i), now) {
			t.Fatalf("a limit without sites refused /64 number %d of one /56", i+1)
		}
	}
}
