package handlers

import (
	"crypto/sha256"
	"crypto/subtle"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// ipExtractor decides where client addresses come from. With no trusted
// proxies only the connection counts; with some, X-Forwarded-For is read
// from the right and the first address not in a trusted range is the
// client, so a client cannot choose its own address (rate limits, audit).
func (s *Server) ipExtractor() echo.IPExtractor {
	if len(s.cfg.TrustedProxies) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, n := range s.cfg.TrustedProxies {
		opts = append(opts, echo.TrustIPRange(n))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

// metrics serves Prometheus metrics; who may read them is the Scraper
// rule's (access.go).
func (s *Server) metrics(c echo.Context) error {
	promhttp.HandlerFor(s.cfg.Metrics.Gatherer(), promhttp.HandlerOpts{}).ServeHTTP(c.Response(), c.Request())
	return nil
}

// requireScraper lets Prometheus in: a client with the bearer token, or,
// only when the operator turned it on (Config.MetricsLoopback), a loopback
// client that did not come through a proxy.
func (s *Server) requireScraper(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !s.metricsAllowed(c.Request()) {
			// Guesses at the token spend the client's budget of refused
			// scrapes, kept apart from the API's (api_failures.go) so
			// that neither locks the other out; the right token always
			// passes.
			client := db.ClientNetwork(c.RealIP())
			s.cfg.Metrics.SecurityEvent("metrics_denied")
			s.log.Warn("metrics access refused", "route", c.Path(), "client", c.RealIP())
			if ok, retry := s.scrapeFails.refuse(client, time.Now()); !ok {
				s.log.Warn("rate limit hit", "limit", "metrics_token_failures", "route", c.Path(), "client", client)
				s.cfg.Metrics.SecurityEvent("rate_limit")
				c.Response().Header().Set("Retry-After", retry)
				return echo.NewHTTPError(http.StatusTooManyRequests)
			}
			c.Response().Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			return echo.NewHTTPError(http.StatusUnauthorized)
		}
		return next(c)
	}
}

func (s *Server) metricsAllowed(r *http.Request) bool {
	if s.cfg.MetricsToken != "" {
		if got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			// Hashing first makes the comparison constant-time in the length too.
			a, b := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(s.cfg.MetricsToken))
			if subtle.ConstantTimeCompare(a[:], b[:]) == 1 {
				return true
			}
		}
	}
	// A proxy on the same machine makes every request look local, and one
	// that adds no forwarding header cannot be told from a local scraper:
	// so loopback alone opens nothing unless the operator says no such
	// proxy runs here. Even then, a trusted proxy's address and forwarded
	// requests stay refused.
	if !s.cfg.MetricsLoopback {
		return false
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	ip := net.ParseIP(host)
	if err != nil || ip == nil || !ip.IsLoopback() {
		return false
	}
	if r.Header.Get("X-Forwarded-For") != "" || r.Header.Get("Forwarded") != "" || r.Header.Get("X-Real-Ip") != "" {
		return false
	}
	for _, n := range s.cfg.TrustedProxies {
		if n.Contains(ip) {
			return false
		}
	}
	return true
}
