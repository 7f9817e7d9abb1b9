package handlers_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/handlers"
)

// testPortal is the real handler stack on a real database, with a client that
// keeps cookies like a browser.
type testPortal struct {
	t      testing.TB
	db     *db.DB
	srv    *httptest.Server
	client *http.Client
	logs   *bytes.Buffer
}

func testConfig() handlers.Config {
	return handlers.Config{
		BaseURL:            &url.URL{Scheme: "https", Host: "security.example.org"},
		SecurityEmail:      "security@example.org",
		PreferredLanguages: "en, de",
		Limits:             db.Limits{MaxFiles: 2, MaxFileBytes: 1024, MaxTextRunes: 5000},
		MaxBody:            64 << 10,
	}
}

func newPortal(tb testing.TB, cfg handlers.Config) *testPortal {
	tb.Helper()
	d := openDB(tb)
	logs := &bytes.Buffer{}
	s, err := handlers.New(context.Background(), cfg, d, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewServer(s)
	tb.Cleanup(srv.Close)
	p := &testPortal{t: tb, db: d, srv: srv, logs: logs}
	p.client = p.newClient()
	return p
}

func (p *testPortal) newClient() *http.Client { return noRedirectClient() }

// openDB opens a fresh database in the test's temp dir, closed when the test
// ends: the start of every harness in this package.
func openDB(tb testing.TB) *db.DB {
	tb.Helper()
	d, err := db.Open(context.Background(), filepath.Join(tb.TempDir(), "disclose.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { d.Close() })
	return d
}

// noRedirectClient is a browser that keeps cookies but does not follow
// redirects, so a test sees each answer.
func noRedirectClient() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func (p *testPortal) get(path string) (*http.Response, string) {
	p.t.Helper()
	return p.do(p.client, http.MethodGet, path, "", nil)
}

func (p *testPortal) do(c *http.Client, method, path, contentType string, body io.Reader) (*http.Response, string) {
	p.t.Helper()
	req, err := http.NewRequest(method, p.srv.URL+path, body)
	if err != nil {
		p.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	buf, _ := io.ReadAll(resp.Body)
	return resp, string(buf)
}

var (
	csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	keyRE  = regexp.MustCompile(`name="key" value="([^"]+)"`)
	codeRE = regexp.MustCompile(`data-testid="code">([^<]+)<`)
	refRE  = regexp.MustCompile(`data-testid="ref">([^<]+)<`)
)

func match(tb testing.TB, re *regexp.Regexp, body string) string {
	tb.Helper()
	m := re.FindStringSubmatch(body)
	if m == nil {
		tb.Fatalf("no %s in page:\n%.2000s", re, body)
	}
	return m[1]
}

// formToken loads the report form and returns its CSRF token and key.
func (p *testPortal) formToken() (csrf, key string) {
	p.t.Helper()
	resp, body := p.get("/report")
	if resp.StatusCode != http.StatusOK {
		p.t.Fatalf("GET /report: %d", resp.StatusCode)
	}
	return match(p.t, csrfRE, body), match(p.t, keyRE, body)
}

type file struct{ name, content string }

func multipartBody(tb testing.TB, fields map[string]string, files []file) (string, *bytes.Buffer) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range fields {
		w.WriteField(k, v)
	}
	for _, f := range files {
		fw, err := w.CreateFormFile("attachments", f.name)
		if err != nil {
			tb.Fatal(err)
		}
		fw.Write([]byte(f.content))
	}
	w.Close()
	return w.FormDataContentType(), &buf
}

func (p *testPortal) submit(fields map[string]string, files ...file) (*http.Response, string) {
	p.t.Helper()
	ct, body := multipartBody(p.t, fields, files)
	return p.do(p.client, http.MethodPost, "/report", ct, body)
}

func validFields(csrf, key string) map[string]string {
	return map[string]string{
		"csrf": csrf, "key": key, "title": "SQL injection in search", "description": "The q parameter is concatenated into SQL.",
		"steps": "GET /search?q='", "impact": "Read the whole database", "cvss": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
		"cwe": "CWE-89", "name": "alice", "email": "alice@example.org", "credit": "handle",
	}
}

func (p *testPortal) count() int64 {
	p.t.Helper()
	n, err := p.db.CountReports(context.Background())
	if err != nil {
		p.t.Fatal(err)
	}
	return n
}

// plainConfig serves http, so that the test client's cookie jar keeps the
// cookies (it drops Secure cookies over plain http).
func plainConfig() handlers.Config {
	cfg := testConfig()
	cfg.BaseURL = &url.URL{Scheme: "http", Host: "127.0.0.1"}
	return cfg
}
