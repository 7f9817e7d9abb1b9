package handlers

import (
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"golang.org/x/time/rate"

	"github.com/disclose/disclose/db"
)

func (s *Server) newRateLimit(name string, rl RateLimit) echo.MiddlewareFunc {
	if rl.PerMinute <= 0 {
		return func(next echo.HandlerFunc) echo.HandlerFunc { return next }
	}
	store := newTieredRateStore(rl, sitesLimited[name])
	retry := strconv.Itoa(int(60/rl.PerMinute) + 1)
	return middleware.RateLimiterWithConfig(middleware.RateLimiterConfig{
		Store:               store,
		IdentifierExtractor: func(c echo.Context) (string, error) { return c.RealIP(), nil },
		DenyHandler: func(c echo.Context, addr string, err error) error {
			s.log.Warn("rate limit hit", "limit", name, "route", c.Path(), "client", db.ClientNetwork(addr))
			s.cfg.Metrics.SecurityEvent("rate_limit")
			c.Response().Header().Set("Retry-After", retry)
			return echo.NewHTTPError(http.StatusTooManyRequests)
		},
		ErrorHandler: func(c echo.Context, err error) error { return echo.NewHTTPError(http.StatusForbidden) },
	})
}

// sitesLimited are the limits whose budgets an IPv6 client's wider
// prefixes share too (siteTiers). A client counts by its /64
// (db.ClientNetwork), as the login lockout does, since it could otherwise
// pick a fresh address per try; but one holder commonly gets a /56 or a
// whole /48 (65,536 /64s; a tunnel broker hands them out for free), which
// made --submit-rate 10 a minute 655,360 a minute. The prefixes are shared
// with neighbours too (ISP customers, a cloud's tenants), so a flood can
// refuse them: only strangers' reports and receipt-code lookups take that
// trade, where a flood costs staff the most (a submission mails four of
// them) and a refused reporter can try again or write to the security
// address. Staff sign-in (the "sso" limit: passkey and single sign-on),
// password reset (capped per account in db) and the admins' routes keep a
// budget per client only, so that no neighbour can lock staff out; the
// database bounds passkey and SSO sign-ins per /48 itself, by ending the
// busiest client's, not by refusing everyone. IPv4 addresses cost money
// each and are counted alone.
var sitesLimited = map[string]bool{"submit": true, "status": true}

// siteTiers are the wider IPv6 prefixes and how many clients' budgets each
// shares: a /56 (a customer's usual assignment) 10, a /48 100. One /60
// customer can spend its /56's share, and ten /56s its /48's; a /48 holder
// gets 100 budgets, not 65,536. The factors are those of the passkey
// bounds (10 per network, 100 per site).
var siteTiers = []struct{ bits, factor int }{{56, 10}, {48, 100}}

// tieredRateStore is a rate limiter's store: a budget per client, and for
// an IPv6 client in sitesLimited also one per /56 and per /48. A request
// passes when every budget has a token, and spends from all of them; a
// refused one spends nothing anywhere, so a client refused because its
// neighbours spent their prefix's share has its own budget whole once the
// flood stops.
//
// The budgets are failLimiters, bounded to maxFailClients each: echo's
// memory store keeps every client it has seen for its expiry (182 MB a
// million /64s, measured), which a stranger holding a short IPv6 prefix
// could fill at a few thousand requests a second. Past the bound the
// budgets that are full again go first.
type tieredRateStore struct {
	client *failLimiter
	sites  []*failLimiter // siteTiers, nil when the limit has none
}

func newTieredRateStore(rl RateLimit, sites bool) *tieredRateStore {
	st := &tieredRateStore{client: newBudgets(rl)}
	if sites {
		for _, t := range siteTiers {
			st.sites = append(st.sites, newBudgets(RateLimit{PerMinute: float64(t.factor) * rl.PerMinute, Burst: t.factor * max(rl.Burst, 1)}))
		}
	}
	return st
}

func (st *tieredRateStore) Allow(addr string) (bool, error) {
	return st.allowAt(addr, time.Now()), nil
}

func (st *tieredRateStore) allowAt(addr string, now time.Time) bool {
	keys := []string{db.ClientNetwork(addr)}
	if ip := net.ParseIP(addr); ip != nil && ip.To4() == nil && st.sites != nil {
		for _, t := range siteTiers {
			keys = append(keys, (&net.IPNet{IP: ip.Mask(net.CIDRMask(t.bits, 128)), Mask: net.CIDRMask(t.bits, 128)}).String())
		}
	}
	var held []*rate.Reservation
	for i, key := range keys {
		budget := st.client
		if i > 0 {
			budget = st.sites[i-1]
		}
		r := budget.reserve(key, now)
		held = append(held, r)
		if !r.OK() || r.DelayFrom(now) > 0 {
			for _, h := range held {
				h.CancelAt(now)
			}
			return false
		}
	}
	return true
}
