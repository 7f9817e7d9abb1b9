package handlers

import (
	"slices"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// DefaultAPIFailRate is what a client network may spend on refused API
// tokens when Config.APIFailRate is not set: a script with a revoked token
// retries a few times; a stranger guessing tokens is held to ten a minute.
var DefaultAPIFailRate = RateLimit{PerMinute: 10, Burst: 20}

// maxFailClients bounds the client networks failLimiter remembers: past
// it, those whose budget is full again are forgotten (they carry nothing),
// and if all are still spending, the oldest half goes.
const maxFailClients = 100_000

// failLimiter budgets failures per client network: a failure spends from
// the client's budget, and a client with none left is refused before its
// next attempt is even looked at (so it cannot learn that a guess was
// right). Successes cost nothing.
type failLimiter struct {
	rate  rate.Limit
	burst int
	retry string

	mu      sync.Mutex
	clients map[string]*failClient
}

type failClient struct {
	lim  *rate.Limiter
	seen time.Time
}

// newFailLimiter is nil when rl is off (PerMinute < 0); 0 is the default.
func newFailLimiter(rl RateLimit) *failLimiter {
	if rl.PerMinute == 0 {
		rl = DefaultAPIFailRate
	}
	if rl.PerMinute < 0 {
		return nil
	}
	return &failLimiter{rate: rate.Limit(rl.PerMinute / 60), burst: max(rl.Burst, 1),
		retry: strconv.Itoa(int(60/rl.PerMinute) + 1), clients: map[string]*failClient{}}
}

// blocked says whether client has no failure left to spend now, and when
// to try again.
func (f *failLimiter) blocked(client string, now time.Time) (bool, string) {
	if f == nil {
		return false, ""
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.clients[client]
	return ok && c.lim.TokensAt(now) < 1, f.retry
}

// fail spends one failure of client.
func (f *failLimiter) fail(client string, now time.Time) {
	if f == nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.clients[client]
	if !ok {
		if len(f.clients) >= maxFailClients {
			f.sweepLocked(now)
		}
		c = &failClient{lim: rate.NewLimiter(f.rate, f.burst)}
		f.clients[client] = c
	}
	c.seen = now
	c.lim.AllowN(now, 1)
}

// sweepLocked forgets the clients whose budget is full again, and when
// that frees too little, those seen longest ago.
func (f *failLimiter) sweepLocked(now time.Time) {
	for k, c := range f.clients {
		if c.lim.TokensAt(now) >= float64(f.burst) {
			delete(f.clients, k)
		}
	}
	if len(f.clients) < maxFailClients/2 {
		return
	}
	var cut time.Time
	{
		times := make([]time.Time, 0, len(f.clients))
		for _, c := range f.clients {
			times = append(times, c.seen)
		}
		cut = nthTime(times, len(times)/2)
	}
	for k, c := range f.clients {
		if !c.seen.After(cut) {
			delete(f.clients, k)
		}
	}
}

// nthTime is the n-th smallest of ts (ts is reordered).
func nthTime(ts []time.Time, n int) time.Time {
	slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
	return ts[n]
}
