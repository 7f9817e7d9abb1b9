// Package handlers holds the HTTP side of disclose: one route table, the
// middleware (security headers, CSRF, rate limits, logging), form parsing and
// validation, and the mapping of domain errors to statuses. No SQL here.
package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/labstack/echo/v4"
)

// Store is what the handlers need from the database.
type Store interface {
	AuthStore
	AccountStore
	OutboundStore
	RetentionStore
	IntakeStore
	TriageStore
	Ping(ctx context.Context) error
	Programs(ctx context.Context) ([]*db.Program, error)
	DefaultProgram(ctx context.Context) (*db.Program, error)
	ProgramBySlug(ctx context.Context, slug string) (*db.Program, error)
	CreateReport(ctx context.Context, in *db.NewReport) (*db.Receipt, error)
	ReportByID(ctx context.Context, id int64) (*db.Report, error)
	StartStatusSession(ctx context.Context, code, previous string) (string, error)
	ReportByStatusSession(ctx context.Context, token string) (*db.Report, error)
	EndStatusSession(ctx context.Context, token string) error
	Timeline(ctx context.Context, reportID int64, publicOnly bool) ([]*db.Message, error)
	AttachmentOf(ctx context.Context, reportID, attachmentID int64, publicOnly bool) (*db.Attachment, []byte, error)
	AddReporterMessage(ctx context.Context, reportID int64, body string, files []db.NewAttachment, source db.Source, lim db.Limits) error
}

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
	// BodyBudget bounds the bytes of large bodies read at once across all
	// requests (uploads are held in memory); 0 means 8 × MaxBody.
	BodyBudget int64
	// BodyMinRate (bytes a second) is the least a large body must bring,
	// counted over each BodyRateWindow; a slower one is cut off with 408 and
	// gives its share of the budget back. 0 means 8 KiB/s over 20 s.
	BodyMinRate    int64
	BodyRateWindow time.Duration

	SubmitRate RateLimit
	StatusRate RateLimit
	// TeamKey is the team's OpenPGP key; nil when the portal has none.
	TeamKey TeamKey

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
}

// Server is the web side of the portal.
type Server struct {
	cfg    Config
	store  Store
	log    *slog.Logger
	echo   *echo.Echo
	signed signedCache
	bodies *bodyBudget
	// limiters are the rate limits by name, made while the routes are.
	limiters map[string]echo.MiddlewareFunc
}

// New builds the server and its route table.
func New(ctx context.Context, cfg Config, store Store, log *slog.Logger) (*Server, error) {
	if cfg.BaseURL == nil {
		return nil, fmt.Errorf("handlers: no base URL")
	}
	if cfg.Metrics == nil {
		stats, _ := store.(StatsSource)
		cfg.Metrics = NewMetrics(stats, cfg.Problems, log)
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
	s := &Server{cfg: cfg, store: store, log: log, bodies: newBodyBudget(cfg.BodyBudget, cfg.MaxBody)}
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
