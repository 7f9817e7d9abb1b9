package handlers_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/handlers"
	"github.com/disclose/disclose/mailin"
)

// testPassword is the password of every user a test makes.
const testPassword = "correct horse battery staple"

// portal is the one harness of this package: the real route table on a
// real database in the test's temp dir, served on 127.0.0.1, with a clock
// the test moves and the log kept as JSON lines. Tests drive it with
// browsers (harness_browser_test.go).
type portal struct {
	t      testing.TB
	DB     *db.DB
	Server *httptest.Server
	// Config is what the server was built with.
	Config handlers.Config
	// Handler is the server under test (its route table: Routes).
	Handler *handlers.Server
	clock   *testClock
	logs    *syncBuffer
	// problems is the registry admins' banners show (Config.Problems).
	problems *db.Problems
}

// portalSetup is what the options change before the server starts.
type portalSetup struct {
	scheme string
	mods   []func(*handlers.Config)
	log    slog.Handler
	clock  bool
	db     *db.DB
}

// portalOption changes how newPortal builds the portal.
type portalOption func(*portalSetup)

// scheme is the scheme of the public base URL (default http). The server
// is still plain HTTP on loopback: "https" is a TLS-terminating proxy in
// front, and makes cookies Secure, so the test client's jar drops them.
func scheme(s string) portalOption { return func(ps *portalSetup) { ps.scheme = s } }

// configure changes the configuration after the harness's defaults (nil:
// no change).
func configure(mod func(*handlers.Config)) portalOption {
	return func(ps *portalSetup) { ps.mods = append(ps.mods, mod) }
}

// logTo sends the server's log to h instead of the kept JSON lines.
func logTo(h slog.Handler) portalOption { return func(ps *portalSetup) { ps.log = h } }

// onDatabase serves d (the caller closes it) instead of a fresh database,
// with its clock and password hash as they are.
func onDatabase(d *db.DB) portalOption {
	return func(ps *portalSetup) { ps.db, ps.clock = d, false }
}

// wallClock leaves the database on the real clock (benchmarks, and tests
// that move the clock themselves).
func wallClock() portalOption { return func(ps *portalSetup) { ps.clock = false } }

// reportLimits are the small limits the report form tests push against,
// and the contacts security.txt names.
func reportLimits(c *handlers.Config) {
	c.SecurityEmail, c.PreferredLanguages = "security@example.org", "en, de"
	c.Limits = db.Limits{MaxFiles: 2, MaxFileBytes: 1024, MaxTextRunes: 5000}
	c.MaxBody = 64 << 10
}

// publicHost gives the portal the base URL of a real deployment behind a
// TLS proxy (absolute URLs in security.txt; Secure cookies).
func publicHost(c *handlers.Config) {
	c.BaseURL = &url.URL{Scheme: "https", Host: "security.example.org"}
}

// newPortal starts a portal for one test. Defaults: base URL of the
// listener, db.DefaultLimits, 1 MiB bodies, no rate limits, a problem
// registry, a cheap password hash (TestArgon2Rehash covers the real one)
// and the test clock.
func newPortal(tb testing.TB, opts ...portalOption) *portal {
	tb.Helper()
	ps := portalSetup{scheme: "http", clock: true}
	for _, o := range opts {
		o(&ps)
	}
	d := ps.db
	if d == nil {
		d = openDB(tb)
		d.Auth.Argon2 = db.Argon2Params{Memory: 1024, Time: 1, Threads: 1}
	}
	p := &portal{t: tb, DB: d, logs: &syncBuffer{}}
	if ps.clock {
		p.clock = &testClock{t: time.Now().UTC()}
		d.Now = p.clock.Now
	}
	if ps.log == nil {
		ps.log = slog.NewJSONHandler(p.logs, &slog.HandlerOptions{Level: slog.LevelDebug})
	}
	log := slog.New(ps.log)
	ts := httptest.NewUnstartedServer(nil)
	base, _ := url.Parse(ps.scheme + "://" + ts.Listener.Addr().String())
	p.Config = handlers.Config{BaseURL: base, Limits: db.DefaultLimits, MaxBody: 1 << 20, Problems: db.NewProblems(log),
		ResetMail: &mailin.Notifier{BaseURL: base, Domain: "portal.example.org"}, InviteMail: &mailin.Notifier{BaseURL: base, Domain: "portal.example.org"}}
	for _, mod := range ps.mods {
		if mod != nil {
			mod(&p.Config)
		}
	}
	p.problems = p.Config.Problems
	srv, err := handlers.New(context.Background(), p.Config, d, log)
	if err != nil {
		tb.Fatal(err)
	}
	p.Handler = srv
	ts.Config.Handler = srv
	ts.Start()
	tb.Cleanup(ts.Close)
	p.Server = ts
	return p
}

// openDB opens a fresh database in the test's temp dir, closed when the test
// ends.
func openDB(tb testing.TB) *db.DB {
	tb.Helper()
	d, err := db.Open(context.Background(), filepath.Join(tb.TempDir(), "disclose.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { d.Close() })
	return d
}

// testClock is the database's clock; the test moves it.
type testClock struct{ t time.Time }

func (c *testClock) Now() time.Time          { return c.t }
func (c *testClock) Advance(d time.Duration) { c.t = c.t.Add(d) }

// syncBuffer is a log sink the server writes from many goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (p *portal) mustUser(t testing.TB, email string, role db.Role, programs ...int64) *db.User {
	t.Helper()
	u, err := p.DB.CreateUser(context.Background(), &db.NewUser{Email: email, Role: role, Password: testPassword, ProgramIDs: programs}, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// count is the number of reports stored.
func (p *portal) count() int64 {
	p.t.Helper()
	n, err := p.DB.CountReports(context.Background())
	if err != nil {
		p.t.Fatal(err)
	}
	return n
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// wrongStatusCode sends a wrong receipt code to /status as a fresh browser
// behind a proxy that forwards X-Forwarded-For: xff, and returns the status:
// 401 while the client may try, 429 once the rate limit stops it.
func (p *portal) wrongStatusCode(t testing.TB, xff string) int {
	t.Helper()
	b := p.browser(t)
	b.get("/status")
	b.header.Set("X-Forwarded-For", xff)
	return b.post("/status", url.Values{"code": {"AAAA"}}).Status
}
