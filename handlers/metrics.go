package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// StatsSource is what the metrics read from the database at scrape time.
type StatsSource interface {
	Stats(ctx context.Context) (*db.Stats, error)
}

// Metrics holds the Prometheus registry of the portal; every name starts
// with disclose_. Counters the mail workers feed are exported fields: cmd
// hands them to the workers, which see only a narrow interface (Inc()).
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	security *prometheus.CounterVec

	// IMAPPollErrors counts failed IMAP connections, logins and fetches.
	IMAPPollErrors prometheus.Counter
	// OutboxSendFailures counts failed SMTP delivery attempts.
	OutboxSendFailures prometheus.Counter
}

// NewMetrics registers the portal's metrics. stats and problems may be nil
// (then the scrape-time series are left out).
func NewMetrics(stats StatsSource, problems *db.Problems, log *slog.Logger) *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		reg: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "disclose_http_requests_total",
			Help: "HTTP requests by route pattern, method and status."}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "disclose_http_request_duration_seconds",
			Help: "HTTP request latency by route pattern.", Buckets: prometheus.DefBuckets}, []string{"route"}),
		security: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "disclose_security_events_total",
			Help: "Refused or suspicious requests: rate_limit, csrf, wrong_receipt, login_failed, lockout, metrics_denied."}, []string{"event"}),
		IMAPPollErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "disclose_imap_poll_errors_total",
			Help: "Failed IMAP polls (connect, login, fetch)."}),
		OutboxSendFailures: prometheus.NewCounter(prometheus.CounterOpts{Name: "disclose_outbox_send_failures_total",
			Help: "Failed SMTP delivery attempts of outbox mail."}),
	}
	reg.MustRegister(m.requests, m.latency, m.security, m.IMAPPollErrors, m.OutboxSendFailures)
	// Runtime and process metrics, under the same prefix.
	prefixed := prometheus.WrapRegistererWithPrefix("disclose_", reg)
	prefixed.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if stats != nil || problems != nil {
		reg.MustRegister(&dbCollector{stats: stats, problems: problems, log: log})
	}
	return m
}

// Gatherer is the registry as the /metrics handler reads it.
func (m *Metrics) Gatherer() prometheus.Gatherer { return m.reg }

// SecurityEvent counts a security event (the log line is the caller's).
func (m *Metrics) SecurityEvent(event string) { m.security.WithLabelValues(event).Inc() }

// observe counts every request by its route pattern (c.Path(), never the
// raw URL, which would carry ids and make the label set unbounded).
func (m *Metrics) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		m.requests.WithLabelValues(route, methodLabel(c.Request().Method), strconv.Itoa(c.Response().Status)).Inc()
		m.latency.WithLabelValues(route).Observe(time.Since(start).Seconds())
		return err
	}
}

// methodLabel keeps the method label to the standard methods: a client may
// send any token as a method, and each would be a new series forever.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "other"
}

// dbCollector reads counts from the database when Prometheus scrapes, so the
// numbers hold across restarts and include what the mail side wrote.
type dbCollector struct {
	stats    StatsSource
	problems *db.Problems
	log      *slog.Logger
}

var (
	descReports = prometheus.NewDesc("disclose_reports", "Reports by state.", []string{"state"}, nil)
	descIntake  = prometheus.NewDesc("disclose_reports_received_total", "Reports received, by source (web, email).", []string{"source"}, nil)
	descOutbox  = prometheus.NewDesc("disclose_outbox_backlog", "Outbox mail waiting to be sent.", nil, nil)
	descFailed  = prometheus.NewDesc("disclose_outbox_failed", "Outbox mail given up on after its retries.", nil, nil)
	descBreach  = prometheus.NewDesc("disclose_deadline_breaches", "Open reports past a deadline (first_response, triage, resolve).", []string{"deadline"}, nil)
	descProblem = prometheus.NewDesc("disclose_problem", "1 while a problem an admin must act on is present (storage, imap, smtp, tls, ...).", []string{"problem"}, nil)
	descScrape  = prometheus.NewDesc("disclose_stats_up", "1 when the database counts could be read at this scrape.", nil, nil)
)

func (c *dbCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descReports, descIntake, descOutbox, descFailed, descBreach, descProblem, descScrape} {
		ch <- d
	}
}

func (c *dbCollector) Collect(ch chan<- prometheus.Metric) {
	for _, p := range c.problems.List() {
		ch <- prometheus.MustNewConstMetric(descProblem, prometheus.GaugeValue, 1, p.Key)
	}
	if c.stats == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := c.stats.Stats(ctx)
	if err != nil {
		c.log.Error("metrics: read database counts", "error", err)
		ch <- prometheus.MustNewConstMetric(descScrape, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(descScrape, prometheus.GaugeValue, 1)
	for s, n := range st.ReportsByState {
		ch <- prometheus.MustNewConstMetric(descReports, prometheus.GaugeValue, float64(n), string(s))
	}
	for s, n := range st.IntakeBySource {
		ch <- prometheus.MustNewConstMetric(descIntake, prometheus.CounterValue, float64(n), string(s))
	}
	ch <- prometheus.MustNewConstMetric(descOutbox, prometheus.GaugeValue, float64(st.OutboxPending))
	ch <- prometheus.MustNewConstMetric(descFailed, prometheus.GaugeValue, float64(st.OutboxFailed))
	for k, n := range st.DeadlineBreaches {
		ch <- prometheus.MustNewConstMetric(descBreach, prometheus.GaugeValue, float64(n), k)
	}
}
