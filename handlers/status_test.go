package handlers_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/handlers"
)

// openStatus submits a report with b and opens its status page with the
// code.
func openStatus(t testing.TB, b *browser) (csrf, code string) {
	t.Helper()
	csrf, key := b.formToken()
	code = match(t, codeRE, b.submit(validFields(csrf, key), file{"poc.txt", "proof"}).Body)
	if pg := b.post("/status", url.Values{"csrf": {csrf}, "code": {code}}); pg.Status != http.StatusSeeOther {
		t.Fatalf("status login: %d", pg.Status)
	}
	return csrf, code
}

func TestStatus(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		b := newPortal(t, configure(reportLimits)).browser(t)
		csrf, _ := openStatus(t, b)
		pg := b.get("/status")
		if pg.Status != http.StatusOK || match(t, refRE, pg.Body) != "SEC-1" {
			t.Fatalf("status page: %d\n%.2000s", pg.Status, pg.Body)
		}
		if !strings.Contains(pg.Body, "Received, awaiting triage") {
			t.Fatal("state missing")
		}
		ct, body := multipartBody(t, map[string]string{"csrf": csrf, "body": "Here is a second PoC"}, []file{{"poc2.py", "print(1)"}})
		pg = b.send(http.MethodPost, "/status/reply", ct, body)
		if pg.Status != http.StatusSeeOther || pg.Location != "/status?sent=1" {
			t.Fatalf("reply: %d %s", pg.Status, pg.Location)
		}
		pg = b.get("/status?sent=1")
		if !strings.Contains(pg.Body, "Here is a second PoC") || !strings.Contains(pg.Body, "poc2.py") || !strings.Contains(pg.Body, `data-testid="sent"`) {
			t.Fatalf("reply not on the timeline:\n%.3000s", pg.Body)
		}
		href := regexp.MustCompile(`href="(/status/attachments/\d+)"[^>]*>poc2.py`).FindStringSubmatch(pg.Body)
		if href == nil {
			t.Fatal("no download link for poc2.py")
		}
		pg = b.get(href[1])
		if pg.Status != http.StatusOK || pg.Body != "print(1)" {
			t.Fatalf("download: %d %q", pg.Status, pg.Body)
		}
		if cd := pg.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") || !strings.Contains(cd, "poc2.py") {
			t.Fatalf("Content-Disposition=%q", cd)
		}
		if ct := pg.Header.Get("Content-Type"); ct != "application/octet-stream" {
			t.Fatalf("attachment served as %q", ct)
		}
	})
	t.Run("ErrWrongCode", func(t *testing.T) {
		p := newPortal(t, configure(reportLimits))
		_, code := openStatus(t, p.browser(t))
		other := p.browser(t)
		other.get("/status")
		wrong := "A" + db.NormalizeReceiptCode(code)[1:]
		if wrong == db.NormalizeReceiptCode(code) {
			wrong = "B" + wrong[1:]
		}
		pg := other.post("/status", url.Values{"code": {wrong}})
		if pg.Status != http.StatusUnauthorized || !strings.Contains(pg.Body, "That receipt code is not right") {
			t.Fatalf("wrong code: %d\n%.2000s", pg.Status, pg.Body)
		}
		if strings.Contains(pg.Body, "SEC-1") {
			t.Fatal("a wrong code revealed the report")
		}
	})
	t.Run("ErrEmptyReply", func(t *testing.T) {
		b := newPortal(t, configure(reportLimits)).browser(t)
		csrf, _ := openStatus(t, b)
		ct, body := multipartBody(t, map[string]string{"csrf": csrf, "body": "  "}, nil)
		if pg := b.send(http.MethodPost, "/status/reply", ct, body); pg.Status != http.StatusUnprocessableEntity || !strings.Contains(pg.Body, `id="e-body"`) {
			t.Fatalf("empty reply: %d", pg.Status)
		}
	})
	t.Run("ErrNoSession", func(t *testing.T) {
		p := newPortal(t, configure(reportLimits))
		openStatus(t, p.browser(t))
		other := p.browser(t)
		csrf := match(t, csrfRE, other.get("/status").Body)
		ct, body := multipartBody(t, map[string]string{"csrf": csrf, "body": "hi"}, nil)
		if pg := other.send(http.MethodPost, "/status/reply", ct, body); pg.Status != http.StatusUnauthorized {
			t.Fatalf("reply without opening a report: %d", pg.Status)
		}
		if pg := other.get("/status/attachments/1"); pg.Status != http.StatusNotFound {
			t.Fatalf("attachment without a session: %d", pg.Status)
		}
	})
	t.Run("Forget", func(t *testing.T) {
		b := newPortal(t, configure(reportLimits)).browser(t)
		openStatus(t, b)
		b.post("/status/forget", nil)
		if pg := b.get("/status"); strings.Contains(pg.Body, "SEC-1") {
			t.Fatal("the report is still open after closing it")
		}
	})
	t.Run("ErrForgedCookie", func(t *testing.T) {
		p := newPortal(t, configure(reportLimits))
		b := p.browser(t)
		openStatus(t, b)
		u, _ := url.Parse(p.Server.URL)
		for _, ck := range b.c.Jar.Cookies(u) {
			if ck.Name == "disclose_status" {
				ck.Value = strings.Repeat("A", len(ck.Value))
				b.c.Jar.SetCookies(u, []*http.Cookie{ck})
			}
		}
		if pg := b.get("/status"); strings.Contains(pg.Body, "SEC-1") {
			t.Fatal("a forged status cookie opened the report")
		}
	})
}

func TestRateLimit(t *testing.T) {
	p := newPortal(t, configure(reportLimits), configure(func(c *handlers.Config) { c.StatusRate.PerMinute, c.StatusRate.Burst = 1, 3 }))
	b := p.browser(t)
	b.get("/status")
	var last page
	for i := 0; i < 4; i++ {
		last = b.post("/status", url.Values{"code": {"AAAA"}})
	}
	if last.Status != http.StatusTooManyRequests || last.Header.Get("Retry-After") == "" || !strings.Contains(last.Body, "Too many requests") {
		t.Fatalf("4th lookup: %d", last.Status)
	}
	if !strings.Contains(p.logs.String(), "rate limit hit") {
		t.Fatal("rate-limit hit not logged")
	}
}

func TestSecurityHeaders(t *testing.T) {
	p := newPortal(t, configure(reportLimits), configure(publicHost)) // https base URL: HSTS expected
	for _, path := range []string{"/", "/policy", "/report", "/status", "/.well-known/security.txt", "/security.txt", "/healthz", "/nope"} {
		t.Run(path, func(t *testing.T) {
			h := p.browser(t).get(path).Header
			for name, want := range map[string]string{
				"X-Content-Type-Options":    "nosniff",
				"Referrer-Policy":           "no-referrer",
				"Strict-Transport-Security": "max-age=63072000; includeSubDomains",
			} {
				if got := h.Get(name); got != want {
					t.Errorf("%s=%q, want %q", name, got, want)
				}
			}
			csp := h.Get("Content-Security-Policy")
			for _, part := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "form-action 'self'"} {
				if !strings.Contains(csp, part) {
					t.Errorf("CSP %q lacks %q", csp, part)
				}
			}
			if strings.Contains(csp, "unsafe-inline") {
				t.Errorf("CSP allows inline: %q", csp)
			}
		})
	}
	t.Run("NoInlineScriptOrStyle", func(t *testing.T) {
		for _, path := range []string{"/", "/policy", "/report", "/status"} {
			if regexp.MustCompile(`<script>|<script [^>]*>[^<]|style=|<style|onload=|onclick=`).MatchString(p.browser(t).get(path).Body) {
				t.Errorf("%s has inline script or style the CSP would block", path)
			}
		}
	})
	t.Run("NoHSTSOverHTTP", func(t *testing.T) {
		p := newPortal(t, configure(reportLimits))
		if pg := p.browser(t).get("/"); pg.Header.Get("Strict-Transport-Security") != "" {
			t.Fatal("HSTS sent for an http base URL")
		}
	})
	t.Run("SecureCookiesOverHTTPS", func(t *testing.T) {
		ck := p.browser(t).get("/report").Header.Get("Set-Cookie")
		if !strings.HasPrefix(ck, "__Host-") || !strings.Contains(ck, "Secure") || !strings.Contains(ck, "HttpOnly") {
			t.Fatalf("Set-Cookie=%q", ck)
		}
	})
}

func TestSecurityTxt(t *testing.T) {
	b := newPortal(t, configure(reportLimits), configure(publicHost)).browser(t)
	pg := b.get("/.well-known/security.txt")
	body := pg.Body
	if pg.Status != http.StatusOK || !strings.HasPrefix(pg.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("%d %s", pg.Status, pg.Header.Get("Content-Type"))
	}
	for _, line := range []string{
		"Contact: mailto:security@example.org",
		"Contact: https://security.example.org/report",
		"Policy: https://security.example.org/policy",
		"Preferred-Languages: en, de",
		"Canonical: https://security.example.org/.well-known/security.txt",
	} {
		if !strings.Contains(body, line+"\n") {
			t.Errorf("missing %q in\n%s", line, body)
		}
	}
	m := regexp.MustCompile(`Expires: (\S+)`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no Expires")
	}
	if same := b.get("/security.txt").Body; same != body {
		t.Fatal("/security.txt differs from /.well-known/security.txt")
	}
}

func TestPolicyAndHealth(t *testing.T) {
	p := newPortal(t, configure(reportLimits))
	b := p.browser(t)
	if pg := b.get("/policy"); pg.Status != http.StatusOK || !strings.Contains(pg.Body, "<h2>Safe harbour</h2>") {
		t.Fatalf("policy: %d", pg.Status)
	}
	if pg := b.get("/policy/nope"); pg.Status != http.StatusNotFound {
		t.Fatalf("unknown program policy: %d", pg.Status)
	}
	if pg := b.get("/healthz"); pg.Status != http.StatusOK || pg.Body != "ok\n" {
		t.Fatalf("healthz: %d %q", pg.Status, pg.Body)
	}
	p.DB.Close()
	if pg := b.get("/healthz"); pg.Status != http.StatusServiceUnavailable {
		t.Fatalf("healthz with the database closed: %d", pg.Status)
	}
}
