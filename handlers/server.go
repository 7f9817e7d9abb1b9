// Package handlers holds the HTTP side of disclose: one route table, the
// middleware (security headers, CSRF, rate limits, logging, access), form
// parsing and validation, and the mapping of domain errors to statuses. No
// SQL here.
//
// routes.go is the whole route table, one short function per area (public,
// reporter, account, triage, admin). Every row names its access rule
// (access.go): Public, Scraper, Reporter, SignedIn, Staff, Writer,
// ReportReader, ReportWriter or Admin; a row without one stops the server
// from starting. The middleware built from the rule is the only place
// access is decided: handlers take what it checked from staffUser (the
// signed-in user) and reportOf (the report of a ReportReader, ReportWriter
// or Reporter route), and look sub-resources up under that report only.
// Every error a handler returns goes through one status table (errors.go),
// its message worded by views/wording.Say. TestAuthorizationMatrix is
// generated from the table.
//
// The store is *db.DB itself: there is one implementation and the tests use
// the real database. TeamKey and KeyControl are interfaces because
// cmd/disclose implements them.
package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/labstack/echo/v4"
)

// RateLimit is a per-client budget: PerMinute requests on average, Burst at
// once. PerMinute 0 switches the limit off (load runs).
type RateLimit struct {
	PerMinute float64
	Burst     int
}

// Config is what the operator set that the web side needs.
type Config struct {
	BaseURL            *url.URL
	SecurityEmail      string
	PreferredLanguages string
	Limits             db.Limits
	MaxBody            int64 // bytes per request body
	// SpoolDir is where uploaded files over 256 KiB spill while a form is
	// read, age-encrypted under a key held in memory only and unlinked at
	// once (db/spool); "" is the system's temporary directory.
	SpoolDir string
	// BodyBudget bounds the bytes of large bodies read at once across all
	// requests; 0 means 8 × MaxBody.
	BodyBudget int64
	// BodyMinRate (bytes a second) is the least a large body must bring,
	// counted over each BodyRateWindow; a slower one is cut off with 408 and
	// gives its share of the budget back. 0 means 8 KiB/s over 20 s.
	BodyMinRate    int64
	BodyRateWindow time.Duration

	SubmitRate RateLimit
	StatusRate RateLimit
	ResetRate  RateLimit // "forgot your password?" (serve: DefaultResetRate)
	APIRate    RateLimit // per API token (serve: DefaultAPIRate)
	SSORate    RateLimit // single sign-on (serve: DefaultSSORate)

	// APIFailRate bounds refused API tokens per client network (0:
	// DefaultAPIFailRate, PerMinute < 0: off).
	APIFailRate RateLimit
	// ResetMail composes the mail with a password reset link (serve: the
	// mail gateway's mailin.Notifier); nil sends none.
	ResetMail ResetMailer
	// InviteMail composes the mail with an invitation to an organisation
	// (serve: the mail gateway's mailin.Notifier); nil: nobody can be invited.
	InviteMail InviteMailer
	// TeamKey is the team's OpenPGP key; nil when the portal has none.
	TeamKey TeamKey
	// WakePublisher tells serve's advisory publisher that a schedule
	// changed (an approval); nil: nothing to tell.
	WakePublisher func()

	// Metrics is the Prometheus registry; nil makes one reading the store.
	Metrics *Metrics
	// MetricsToken is the bearer token /metrics asks for.
	MetricsToken string
	// MetricsLoopback lets loopback clients that came through no proxy
	// read /metrics without the token. Off by default: a reverse proxy on
	// the same host that adds no forwarding header would expose them.
	MetricsLoopback bool
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is believed.
	TrustedProxies []*net.IPNet
	// Problems is the shared registry of problems admins see as banners.
	Problems *db.Problems
	// KeyControl unlocks and locks the team key from /admin/key; nil leaves
	// the page read-only.
	KeyControl KeyControl
	// WebhookReach is where webhook URLs may point; the zero value allows
	// public addresses only.
	WebhookReach db.WebhookReach
	// InactiveDisable says serve disables inactive accounts by itself
	// (DISCLOSE_INACTIVE_DISABLE); the account review page says so.
	InactiveDisable bool
}

// Server is the web side of the portal.
type Server struct {
	cfg    Config
	store  *db.DB
	log    *slog.Logger
	echo   *echo.Echo
	signed signedCache
	// detached are the CSAF documents' signatures (advisory_csaf.go).
	detached sigCache
	bodies   *bodyBudget
	// limiters are the rate limits by name, made while the routes are.
	limiters map[string]echo.MiddlewareFunc
	// rules is the route table as the router holds it (Routes).
	rules []RouteRule
	// apiLimit is the per-token budget of the API (api_access.go).
	apiLimit func(tokenID int64) (bool, string)
	apiFails *failLimiter // refused tokens per client network (api_failures.go)
	// scrapeFails are refused /metrics tokens per client network (ops.go).
	scrapeFails *failLimiter
}

// New builds the server and its route table on the database store.
func New(ctx context.Context, cfg Config, store *db.DB, log *slog.Logger) (*Server, error) {
	if cfg.BaseURL == nil {
		return nil, fmt.Errorf("handlers: no base URL")
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics(store, cfg.Problems, log)
	}
	if cfg.SpoolDir != "" {
		if err := os.MkdirAll(cfg.SpoolDir, 0o700); err != nil {
			return nil, fmt.Errorf("handlers: spool directory: %w", err)
		}
	}
	if cfg.BodyBudget <= 0 {
		cfg.BodyBudget = 8 * cfg.MaxBody
	}
	if cfg.BodyMinRate <= 0 {
		cfg.BodyMinRate = defaultBodyMinRate
	}
	if cfg.BodyRateWindow <= 0 {
		cfg.BodyRateWindow = defaultBodyRateWindow
	}
	s := &Server{cfg: cfg, store: store, log: log, bodies: newBodyBudget(cfg.BodyBudget, cfg.MaxBody),
		apiFails: newFailLimiter(cfg.APIFailRate), scrapeFails: newFailLimiter(cfg.APIFailRate)}
	s.echo = s.routes()
	return s, nil
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.echo.ServeHTTP(w, r) }

// https reports whether the portal is served over TLS (directly or behind a
// proxy): it decides Secure cookies and HSTS.
func (s *Server) https() bool { return strings.EqualFold(s.cfg.BaseURL.Scheme, "https") }

// absURL makes an absolute URL under the base URL.
func (s *Server) absURL(path string) string {
	return strings.TrimRight(s.cfg.BaseURL.String(), "/") + path
}
