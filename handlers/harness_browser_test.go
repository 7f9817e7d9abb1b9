package handlers_test

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// browser is a client of the portal with a cookie jar that does not follow
// redirects, so tests see each answer. It remembers the CSRF token of the
// last page it read and sends header with every request.
type browser struct {
	t      testing.TB
	p      *portal
	c      *http.Client
	csrf   string
	header http.Header
	host   string // the Host header, when not the server's address
}

func (p *portal) browser(t testing.TB) *browser {
	return &browser{t: t, p: p, c: noRedirectClient(), header: http.Header{}}
}

// noRedirectClient keeps cookies but does not follow redirects.
func noRedirectClient() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// page is one answer as a test reads it.
type page struct {
	Status   int
	Body     string
	Location string
	Header   http.Header
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	for k, v := range b.header {
		req.Header[k] = v
	}
	if b.host != "" {
		req.Host = b.host
	}
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

// send is a request with a body as given: no CSRF token is added.
func (b *browser) send(method, path, contentType string, body io.Reader) page {
	b.t.Helper()
	req, err := http.NewRequest(method, b.p.Server.URL+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return b.do(req)
}

func (b *browser) get(path string) page {
	b.t.Helper()
	return b.send(http.MethodGet, path, "", nil)
}

// follow reads the page a redirect points to.
func (b *browser) follow(p page) page {
	b.t.Helper()
	if p.Location == "" {
		b.t.Fatalf("status %d is no redirect", p.Status)
	}
	return b.get(p.Location)
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
	return b.send(http.MethodPost, path, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
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
	u, _ := url.Parse(b.p.Server.URL)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
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

func regexpFind(expr, s string) string {
	m := regexp.MustCompile(expr).FindStringSubmatch(s)
	if m == nil {
		return ""
	}
	return m[1]
}

func parse(t testing.TB, p page) *goquery.Document {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(p.Body))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func csrfOf(doc *goquery.Document) string { return doc.Find(`input[name=csrf]`).AttrOr("value", "") }

// formToken loads the report form and returns its CSRF token and key.
func (b *browser) formToken() (csrf, key string) {
	b.t.Helper()
	p := b.get("/report")
	if p.Status != http.StatusOK {
		b.t.Fatalf("GET /report: %d", p.Status)
	}
	return match(b.t, csrfRE, p.Body), match(b.t, keyRE, p.Body)
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

// submit sends the report form as multipart with exactly these fields.
func (b *browser) submit(fields map[string]string, files ...file) page {
	b.t.Helper()
	ct, body := multipartBody(b.t, fields, files)
	return b.send(http.MethodPost, "/report", ct, body)
}

// fileReport fills the report form as a researcher would (its own CSRF
// token and key, anonymous credit unless fields say otherwise) and returns
// the receipt's reference and code.
func (b *browser) fileReport(fields map[string]string) (ref, code string) {
	b.t.Helper()
	csrf, key := b.formToken()
	all := map[string]string{"csrf": csrf, "key": key, "credit": "anonymous"}
	for k, v := range fields {
		all[k] = v
	}
	p := b.submit(all)
	doc := parse(b.t, p)
	if p.Status != http.StatusOK {
		b.t.Fatalf("submit: status %d: %s", p.Status, strings.TrimSpace(doc.Find("[data-testid=error-summary]").Text()))
	}
	return strings.TrimSpace(doc.Find("[data-testid=ref]").First().Text()), strings.TrimSpace(doc.Find("[data-testid=code]").Text())
}

func validFields(csrf, key string) map[string]string {
	return map[string]string{
		"csrf": csrf, "key": key, "title": "SQL injection in search", "description": "The q parameter is concatenated into SQL.",
		"steps": "GET /search?q='", "impact": "Read the whole database", "cvss": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
		"cwe": "CWE-89", "name": "alice", "email": "alice@example.org", "credit": "handle",
	}
}
