package handlers_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/handlers"
)

const testPassword = "correct horse battery staple"

// testEnv is the real route table on a real database, served on loopback.
type testEnv struct {
	DB     *db.DB
	Server *httptest.Server
	clock  *testClock
}

type testClock struct{ t time.Time }

func (c *testClock) Now() time.Time          { return c.t }
func (c *testClock) Advance(d time.Duration) { c.t = c.t.Add(d) }

func newTestEnv(t *testing.T) *testEnv { return newTestEnvScheme(t, "http") }

// newTestEnvScheme serves plain HTTP on loopback but tells the portal its
// public URL has the given scheme (https: a TLS-terminating proxy).
func newTestEnvScheme(t *testing.T, scheme string) *testEnv {
	t.Helper()
	return newTestEnvWith(t, scheme, nil)
}

// newTestEnvWith is newTestEnvScheme with mod changing the configuration.
func newTestEnvWith(t *testing.T, scheme string, mod func(*handlers.Config)) *testEnv {
	t.Helper()
	ctx := context.Background()
	d := openDB(t)
	// A cheap hash keeps the tests fast; TestArgon2Rehash covers the real one.
	d.Auth.Argon2 = db.Argon2Params{Memory: 1024, Time: 1, Threads: 1}
	clk := &testClock{t: time.Now().UTC()}
	d.Now = clk.Now
	ts := httptest.NewUnstartedServer(nil)
	base, _ := url.Parse(scheme + "://" + ts.Listener.Addr().String())
	cfg := handlers.Config{BaseURL: base, Limits: db.DefaultLimits, MaxBody: 1 << 20}
	if mod != nil {
		mod(&cfg)
	}
	srv, err := handlers.New(ctx, cfg, d, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = srv
	ts.Start()
	t.Cleanup(ts.Close)
	return &testEnv{DB: d, Server: ts, clock: clk}
}

func (e *testEnv) mustUser(t *testing.T, email string, role db.Role, programs ...int64) *db.User {
	t.Helper()
	u, err := e.DB.CreateUser(context.Background(), &db.NewUser{Email: email, Role: role, Password: testPassword, ProgramIDs: programs}, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// browser is a client with a cookie jar that does not follow redirects, so
// tests see each answer.
type browser struct {
	t    *testing.T
	env  *testEnv
	c    *http.Client
	csrf string
}

func (e *testEnv) browser(t *testing.T) *browser {
	return &browser{t: t, env: e, c: noRedirectClient()}
}

// roleBrowsers is one signed-in browser for each of admin@, tri@ and
// view@example.org (the test creates them) and an "anonymous" one that has
// read the sign-in page, so it holds a CSRF token: the subjects of an
// access-matrix test.
func (e *testEnv) roleBrowsers(t *testing.T) map[string]*browser {
	t.Helper()
	browsers := map[string]*browser{"anonymous": e.browser(t)}
	for _, who := range []string{"admin", "tri", "view"} {
		b := e.browser(t)
		b.mustLogin(who + "@example.org")
		browsers[who] = b
	}
	browsers["anonymous"].get("/login")
	return browsers
}

// refusedStatus is what a staff-only route answers whoever may not use it:
// an anonymous GET is sent to sign in, an anonymous POST is 401, and a
// signed-in user without the role is 403.
func refusedStatus(who, method string) int {
	switch {
	case who == "anonymous" && method == http.MethodGet:
		return http.StatusSeeOther
	case who == "anonymous":
		return http.StatusUnauthorized
	default:
		return http.StatusForbidden
	}
}

type page struct {
	Status   int
	Body     string
	Location string
	Header   http.Header
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if m := csrfRE.FindSubmatch(body); m != nil {
		b.csrf = string(m[1])
	}
	return page{Status: resp.StatusCode, Body: string(body), Location: resp.Header.Get("Location"), Header: resp.Header}
}

func (b *browser) get(path string) page {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.env.Server.URL+path, nil)
	return b.do(req)
}

// post sends a form with the CSRF token of the last page read (unless the
// form sets csrf itself).
func (b *browser) post(path string, form url.Values) page {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["csrf"]; !ok {
		if b.csrf == "" {
			b.get("/login")
		}
		form.Set("csrf", b.csrf)
	}
	req, _ := http.NewRequest(http.MethodPost, b.env.Server.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

func (b *browser) login(email, password string) page {
	b.t.Helper()
	b.get("/login")
	return b.post("/login", url.Values{"email": {email}, "password": {password}})
}

func (b *browser) mustLogin(email string) {
	b.t.Helper()
	if p := b.login(email, testPassword); p.Status != http.StatusSeeOther {
		b.t.Fatalf("login %s: status %d", email, p.Status)
	}
}

func (b *browser) cookie(name string) string {
	u, _ := url.Parse(b.env.Server.URL)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

func strconvFormat(n int64) string { return strconv.FormatInt(n, 10) }

func regexpFind(expr, s string) string {
	m := regexp.MustCompile(expr).FindStringSubmatch(s)
	if m == nil {
		return ""
	}
	return m[1]
}
