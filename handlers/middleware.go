package handlers

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/labstack/echo/v4"
)

// contentSecurityPolicy allows nothing inline: no script, no style
// attributes, no frames, and forms only to this origin.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

func (s *Server) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
		if s.https() {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		return next(c)
	}
}

// recoverPanics turns a panic into a logged internal error, so one bad
// request never takes the portal down.
func (s *Server) recoverPanics(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if r := recover(); r != nil {
				s.log.Error("panic in handler", "route", c.Path(), "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
				err = fmt.Errorf("handlers: panic: %v", r)
			}
		}()
		return next(c)
	}
}

// logRequests writes one line per request: never the query string or the
// body, which may carry report text or codes.
func (s *Server) logRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		status := c.Response().Status
		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelError
		}
		s.log.Log(c.Request().Context(), level, "request",
			"method", c.Request().Method, "route", c.Path(), "status", status,
			"duration_ms", float64(time.Since(start).Microseconds())/1000,
			"request_id", c.Response().Header().Get(echo.HeaderXRequestID))
		return nil
	}
}

// rateLimit budgets a route per client address; the deny page is a 429 that
// says when to try again. Routes that name the same limit share one budget
// (submissions and status-page messages both spend --submit-rate).
func (s *Server) rateLimit(name string, rl RateLimit) echo.MiddlewareFunc {
	if mw, ok := s.limiters[name]; ok {
		return mw
	}
	if s.limiters == nil {
		s.limiters = map[string]echo.MiddlewareFunc{}
	}
	mw := s.newRateLimit(name, rl)
	s.limiters[name] = mw
	return mw
}

// smallBody is the size under which a body is not counted against the
// shared budget: sign-in and status forms must not wait behind uploads.
const smallBody = 64 << 10

// bodyLimit refuses a body over the limit before reading it when its length
// is declared, and stops reading at the limit otherwise.
//
// The large bodies read at once share one budget (Config.BodyBudget):
// without it, a few dozen parallel uploads of the largest size took
// gigabytes (they were held in memory then; now their files go to the
// encrypted spool, readMultipart, and the budget bounds that disk and the
// text held in memory). The budget is shared between clients (bodyBudget): each client
// network, and each signed-in user, holds a share, and part of it is kept
// for staff. A body is charged as it arrives and must keep a minimum
// throughput (bodyMeter); over its share a request gets 503 with
// Retry-After (before anything is read when the budget is full), and a
// body that trickles gets 408.
func (s *Server) bodyLimit(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.ContentLength > s.cfg.MaxBody {
			return echo.NewHTTPError(http.StatusRequestEntityTooLarge)
		}
		if r.Body != nil && r.Body != http.NoBody && (r.ContentLength < 0 || r.ContentLength > smallBody) {
			var staffID int64
			if token := s.sessionToken(c); token != "" {
				if u, err := s.store.UserBySession(r.Context(), token); err == nil {
					staffID = u.ID
				}
			}
			m, ok := s.meterBody(c, bodyHolder(db.ClientNetwork(c.RealIP()), staffID), staffID != 0)
			if !ok {
				s.log.Warn("upload refused: body budget in use", "route", c.Path(), "client", c.RealIP(), "staff", staffID != 0)
				s.cfg.Metrics.SecurityEvent("body_budget")
				c.Response().Header().Set("Retry-After", "30")
				return echo.NewHTTPError(http.StatusServiceUnavailable)
			}
			defer m.done()
			r = c.Request()
		}
		r.Body = http.MaxBytesReader(c.Response(), r.Body, s.cfg.MaxBody)
		return next(c)
	}
}
