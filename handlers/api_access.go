package handlers

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"golang.org/x/time/rate"
)

// apiPrefix starts every route of the JSON API. Its rows take a bearer
// token and nothing else: no cookie is read, no CSRF token asked (there is
// no ambient credential a browser could send on its own), and no CORS
// header is sent, so another site's script cannot read an answer.
const apiPrefix = "/api/"

// isAPI says whether the request's route is one of the JSON API's (the
// route as matched, so /api/../triage is not).
func isAPI(c echo.Context) bool { return strings.HasPrefix(c.Path(), apiPrefix) }

// DefaultAPIRate is the budget of one API token (serve's default): enough
// for a script that walks the queue, not for one that hammers the portal.
var DefaultAPIRate = RateLimit{PerMinute: 600, Burst: 120}

// tokenKey is where requireToken puts the request's *db.APIToken.
const tokenKey = "api-token"

// apiTokenOf is the token of a request behind an API rule.
func apiTokenOf(c echo.Context) *db.APIToken {
	t, _ := c.Get(tokenKey).(*db.APIToken)
	return t
}

// apiActor is the audit actor of an API request: the token's user, with
// the token named.
func apiActor(c echo.Context) db.Actor { return db.APIActor(apiTokenOf(c), clientAddr(c)) }

// errBearerRequired answers an API request without a usable token.
var errBearerRequired = db.Errorf(db.EUNAUTHORIZED, "Send a personal access token as Authorization: Bearer <token>. Cookies are not accepted here.")

// requireToken lets an API request through only with a valid bearer token;
// the user it acts as (staffUser) has the token's effective rights,
// computed now from the account's roles, the scope and the organisation
// limit (db.UserByAPIToken). Then the token's rate limit applies, and its
// use is recorded (reads coalesced per minute, db.TouchAPIToken).
func (s *Server) requireToken(next echo.HandlerFunc) echo.HandlerFunc {
	limit := s.apiLimiter()
	return func(c echo.Context) error {
		c.Response().Header().Set("Cache-Control", "no-store")
		raw, ok := strings.CutPrefix(c.Request().Header.Get("Authorization"), "Bearer ")
		if !ok || raw == "" {
			c.Response().Header().Set("WWW-Authenticate", `Bearer realm="disclose"`)
			return errBearerRequired
		}
		ctx := c.Request().Context()
		u, t, err := s.store.UserByAPIToken(ctx, strings.TrimSpace(raw))
		if db.ErrorCode(err) == db.EUNAUTHORIZED {
			// Only a refusal spends the network's budget, and only a
			// refusal is slowed: a valid token always passes.
			client := db.ClientNetwork(c.RealIP())
			s.cfg.Metrics.SecurityEvent("api_token_refused")
			s.log.Warn("api token refused", "route", c.Path(), "client", c.RealIP())
			if ok, retry := s.apiFails.refuse(client, time.Now()); !ok {
				s.log.Warn("rate limit hit", "limit", "api_token_failures", "route", c.Path(), "client", client)
				s.cfg.Metrics.SecurityEvent("rate_limit")
				c.Response().Header().Set("Retry-After", retry)
				return echo.NewHTTPError(http.StatusTooManyRequests)
			}
			c.Response().Header().Set("WWW-Authenticate", `Bearer realm="disclose", error="invalid_token"`)
			return err
		} else if err != nil {
			return err
		}
		if u.MustEnroll {
			return errEnrolFirst
		}
		if limit != nil {
			if ok, retry := limit(t.ID); !ok {
				s.log.Warn("rate limit hit", "limit", "api", "route", c.Path(), "token_id", t.ID)
				s.cfg.Metrics.SecurityEvent("rate_limit")
				c.Response().Header().Set("Retry-After", retry)
				return echo.NewHTTPError(http.StatusTooManyRequests)
			}
		}
		if err := s.store.TouchAPIToken(ctx, t, clientAddr(c)); err != nil {
			return err
		}
		c.Set(staffKey, u)
		c.Set(tokenKey, t)
		return next(c)
	}
}

// apiLimiter is the per-token budget (Config.APIRate), shared by every API
// row; nil when the limit is off.
func (s *Server) apiLimiter() func(tokenID int64) (bool, string) {
	if s.apiLimit != nil || s.cfg.APIRate.PerMinute <= 0 {
		return s.apiLimit
	}
	rl := s.cfg.APIRate
	store := middleware.NewRateLimiterMemoryStoreWithConfig(middleware.RateLimiterMemoryStoreConfig{
		Rate: rate.Limit(rl.PerMinute / 60), Burst: max(rl.Burst, 1), ExpiresIn: 10 * time.Minute,
	})
	retry := strconv.Itoa(int(60/rl.PerMinute) + 1)
	s.apiLimit = func(tokenID int64) (bool, string) {
		ok, _ := store.Allow("token:" + strconv.FormatInt(tokenID, 10))
		return ok, retry
	}
	return s.apiLimit
}

// isAPI says whether a is one of the API's rules, which take bearer
// tokens and nothing else.
func (a Access) isAPI() bool {
	switch a {
	case APIToken, APIWriter, APIReportReader, APIReportWriter, APIAdmin, APIIncidentReader, APIAdvisoryReader:
		return true
	}
	return false
}

// apiGuard is guard for the API's rules (access.go lists them).
func (s *Server) apiGuard(a Access) []echo.MiddlewareFunc {
	switch a {
	case APIToken:
		return []echo.MiddlewareFunc{s.requireToken}
	case APIWriter:
		return []echo.MiddlewareFunc{s.requireToken, s.requireRole(mayWrite)}
	case APIReportReader:
		return []echo.MiddlewareFunc{s.requireToken, s.requireReport(false)}
	case APIReportWriter:
		return []echo.MiddlewareFunc{s.requireToken, s.requireReport(true)}
	case APIAdmin:
		return []echo.MiddlewareFunc{s.requireToken, s.requireRole(isAdmin)}
	case APIIncidentReader:
		return []echo.MiddlewareFunc{s.requireToken, s.requireIncident(false)}
	case APIAdvisoryReader:
		return []echo.MiddlewareFunc{s.requireToken, s.requireAdvisory}
	}
	return nil
}
