package handlers_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/handlers"
)

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

// portal is a real server on a real database, on 127.0.0.1.
type portal struct {
	db  *db.DB
	srv *httptest.Server
	log *syncBuffer
	// problems is the registry the server was given.
	problems *db.Problems
}

func newDocPortal(t *testing.T, mod func(*handlers.Config)) *portal {
	t.Helper()
	ctx := context.Background()
	d := openDB(t)
	logs := &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	base, _ := url.Parse("http://127.0.0.1")
	cfg := handlers.Config{BaseURL: base, Limits: db.DefaultLimits, MaxBody: 60 << 20,
		SubmitRate: handlers.RateLimit{}, StatusRate: handlers.RateLimit{}, Problems: db.NewProblems(log)}
	if mod != nil {
		mod(&cfg)
	}
	s, err := handlers.New(ctx, cfg, d, log)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return &portal{db: d, srv: srv, log: logs, problems: cfg.Problems}
}

// client is a browser: a cookie jar and no redirects followed silently.
func (p *portal) client(t *testing.T) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar}
}

func (p *portal) get(t *testing.T, c *http.Client, path string) (*http.Response, *goquery.Document) {
	t.Helper()
	resp, err := c.Get(p.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	return resp, mustParse(t, resp)
}

func (p *portal) post(t *testing.T, c *http.Client, path string, form url.Values) (*http.Response, *goquery.Document) {
	t.Helper()
	resp, err := c.PostForm(p.srv.URL+path, form)
	if err != nil {
		t.Fatal(err)
	}
	return resp, mustParse(t, resp)
}

func mustParse(t *testing.T, resp *http.Response) *goquery.Document {
	t.Helper()
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// submit sends the report form as a browser would and returns the receipt.
func (p *portal) submit(t *testing.T, c *http.Client, fields map[string]string) (ref, code string) {
	t.Helper()
	_, form := p.get(t, c, "/report")
	v := url.Values{}
	v.Set("csrf", form.Find(`input[name=csrf]`).AttrOr("value", ""))
	v.Set("key", form.Find(`input[name=key]`).AttrOr("value", ""))
	v.Set("credit", "anonymous")
	for k, val := range fields {
		v.Set(k, val)
	}
	resp, doc := p.post(t, c, "/report", v)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("submit: status %d: %s", resp.StatusCode, strings.TrimSpace(doc.Find("[data-testid=error-summary]").Text()))
	}
	return strings.TrimSpace(doc.Find("[data-testid=ref]").First().Text()), strings.TrimSpace(doc.Find("[data-testid=code]").Text())
}

func csrfOf(doc *goquery.Document) string { return doc.Find(`input[name=csrf]`).AttrOr("value", "") }

// wrongStatusCode sends a wrong receipt code to /status as a fresh browser
// behind a proxy that forwards X-Forwarded-For: xff, and returns the status:
// 401 while the client may try, 429 once the rate limit stops it.
func (p *portal) wrongStatusCode(t *testing.T, xff string) int {
	t.Helper()
	c := p.client(t)
	_, doc := p.get(t, c, "/status")
	req, _ := http.NewRequest(http.MethodPost, p.srv.URL+"/status",
		strings.NewReader(url.Values{"csrf": {csrfOf(doc)}, "code": {"AAAA"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Forwarded-For", xff)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
