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

// failLimiter budgets failures per client network: each refusal spends
// from the client's budget, and a refusal with none left is answered 429
// (Retry-After) instead of 401, so a network that keeps guessing is told
// to slow down. Only refusals are counted and only refusals are slowed: a
// credential that verifies always passes, whatever its network spent, so
// a stranger sharing that network (a NAT, a CI egress pool, a VPN exit)
// cannot lock its valid users out. Hiding a right guess would protect
// nothing: an API token is 256 random bits.
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
	return newBudgets(rl)
}

// newBudgets is a failLimiter for rl as it is (PerMinute > 0): the route
// rate limits (tieredRateStore) keep their budgets in it too, so that they
// are bounded the same way.
func newBudgets(rl RateLimit) *failLimiter {
	return &failLimiter{rate: rate.Limit(rl.PerMinute / 60), burst: max(rl.Burst, 1),
		retry: strconv.Itoa(int(60/rl.PerMinute) + 1), clients: map[string]*failClient{}}
}

// refuse spends one failure of client and says whether one was left to
// spend; when not, the refusal is to be a 429 with Retry-After retry.
func (f *failLimiter) refuse(client string, now time.Time) (ok bool, retry string) {
	if f == nil {
		return true, ""
	}
	return f.limiter(client, now).AllowN(now, 1), f.retry
}

// reserve takes one token of key's budget at now, or a reservation of one
// to come (DelayFrom > 0) that the caller cancels when it refuses
// (tieredRateStore).
func (f *failLimiter) reserve(key string, now time.Time) *rate.Reservation {
	return f.limiter(key, now).ReserveN(now, 1)
}

// limiter is key's budget, made when key has none (forgetting others past
// maxFailClients).
func (f *failLimiter) limiter(key string, now time.Time) *rate.Limiter {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, found := f.clients[key]
	if !found {
		if len(f.clients) >= maxFailClients {
			f.sweepLocked(now)
		}
		c = &failClient{lim: rate.NewLimiter(f.rate, f.burst)}
		f.clients[key] = c
	}
	c.seen = now
	return c.lim
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
