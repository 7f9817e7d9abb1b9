package handlers

import (
	"net/http"

	"github.com/disclose/disclose/static"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// routes is the whole route table.
func (s *Server) routes() *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	// Client addresses come from the connection: a forwarded header is only
	// trusted once the operator names the proxy (ops.go).
	e.IPExtractor = s.ipExtractor()
	e.HTTPErrorHandler = s.errorHandler

	e.Use(s.recoverPanics, middleware.RequestID(), s.cfg.Metrics.observe, s.logRequests, s.securityHeaders, s.bodyLimit, s.csrf)

	e.GET("/", s.landing)
	e.GET("/policy", s.policy)
	e.GET("/policy/:slug", s.policy)
	e.GET("/report", s.reportForm)
	e.POST("/report", s.submitReport, s.rateLimit("submit", s.cfg.SubmitRate))
	e.GET("/status", s.statusPage)
	e.POST("/status", s.statusLogin, s.rateLimit("status", s.cfg.StatusRate))
	e.POST("/status/reply", s.statusReply, s.rateLimit("submit", s.cfg.SubmitRate))
	e.POST("/status/forget", s.statusForget)
	e.GET("/status/attachments/:id", s.statusAttachment)

	s.authRoutes(e)
	s.triageRoutes(e)
	s.outboundRoutes(e)

	e.GET("/.well-known/security.txt", s.securityTxt)
	e.GET("/security.txt", s.securityTxt)
	e.GET(keyPath, s.publicKey)
	e.GET("/.well-known/openpgpkey/policy", s.wkdPolicy)
	e.GET("/.well-known/openpgpkey/hu/:hash", s.wkdKey)
	e.GET("/healthz", s.healthz)
	e.GET("/metrics", s.metrics)
	e.GET("/static/*", echo.WrapHandler(static.Handler()))
	e.RouteNotFound("/*", func(c echo.Context) error { return echo.NewHTTPError(http.StatusNotFound) })
	return e
}
