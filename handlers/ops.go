package handlers

import (
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
