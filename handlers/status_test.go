package handlers_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
)

// openStatus submits a report and opens its status page with the code.
func openStatus(t *testing.T, p *testPortal) (csrf, code string) {
	t.Helper()
	csrf, key := p.formToken()
	_, body := p.submit(validFields(csrf, key), file{"poc.txt", "proof"})
	code = match(t, codeRE, body)
	resp, _ := p.do(p.client, http.MethodPost, "/status", "application/x-www-form-urlencoded",
		strings.NewReader(url.Values{"csrf": {csrf}, "code": {code}}.Encode()))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("status login: %d", resp.StatusCode)
	}
	return csrf, code
}

func TestStatus(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		p := newPortal(t, plainConfig())
		csrf, _ := openStatus(t, p)
		resp, page := p.get("/status")
		if resp.StatusCode != http.StatusOK || match(t, refRE, page) != "SEC-1" {
			t.Fatalf("status page: %d\n%.2000s", resp.StatusCode, page)
		}
		if !strings.Contains(page, "Received, awaiting triage") {
			t.Fatal("state missing")
		}
		ct, body := multipartBody(t, map[string]string{"csrf": csrf, "body": "Here is a second PoC"}, []file{{"poc2.py", "print(1)"}})
		resp, _ = p.do(p.client, http.MethodPost, "/status/reply", ct, body)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/status?sent=1" {
			t.Fatalf("reply: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		_, page = p.get("/status?sent=1")
		if !strings.Contains(page, "Here is a second PoC") || !strings.Contains(page, "poc2.py") || !strings.Contains(page, `data-testid="sent"`) {
			t.Fatalf("reply not on the timeline:\n%.3000s", page)
		}
		href := regexp.MustCompile(`href="(/status/attachments/\d+)"[^>]*>poc2.py`).FindStringSubmatch(page)
		if href == nil {
			t.Fatal("no download link for poc2.py")
		}
		resp, data := p.get(href[1])
		if resp.StatusCode != http.StatusOK || data != "print(1)" {
			t.Fatalf("download: %d %q", resp.StatusCode, data)
		}
		if cd := resp.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") || !strings.Contains(cd, "poc2.py") {
			t.Fatalf("Content-Disposition=%q", cd)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/octet-stream" {
			t.Fatalf("attachment served as %q", ct)
		}
	})
	t.Run("ErrWrongCode", func(t *testing.T) {
		p := newPortal(t, plainConfig())
		csrf, code := openStatus(t, p)
		other := p.newClient()
		_, page := p.do(other, http.MethodGet, "/status", "", nil)
		csrf = match(t, csrfRE, page)
		wrong := "A" + db.NormalizeReceiptCode(code)[1:]
		if wrong == db.NormalizeReceiptCode(code) {
			wrong = "B" + wrong[1:]
		}
		resp, page := p.do(other, http.MethodPost, "/status", "application/x-www-form-urlencoded",
			strings.NewReader(url.Values{"csrf": {csrf}, "code": {wrong}}.Encode()))
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(page, "That receipt code is not right") {
			t.Fatalf("wrong code: %d\n%.2000s", resp.StatusCode, page)
		}
		if strings.Contains(page, "SEC-1") {
			t.Fatal("a wrong code revealed the report")
		}
	})
	t.Run("ErrEmptyReply", func(t *testing.T) {
		p := newPortal(t, plainConfig())
		csrf, _ := openStatus(t, p)
		ct, body := multipartBody(t, map[string]string{"csrf": csrf, "body": "  "}, nil)
		resp, page := p.do(p.client, http.MethodPost, "/status/reply", ct, body)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `id="e-body"`) {
			t.Fatalf("empty reply: %d", resp.StatusCode)
		}
	})
	t.Run("ErrNoSession", func(t *testing.T) {
		p := newPortal(t, plainConfig())
		openStatus(t, p)
		other := p.newClient()
		_, page := p.do(other, http.MethodGet, "/status", "", nil)
		csrf := match(t, csrfRE, page)
		ct, body := multipartBody(t, map[string]string{"csrf": csrf, "body": "hi"}, nil)
		resp, _ := p.do(other, http.MethodPost, "/status/reply", ct, body)
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("reply without opening a report: %d", resp.StatusCode)
		}
		if resp, _ := p.do(other, http.MethodGet, "/status/attachments/1", "", nil); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("attachment without a session: %d", resp.StatusCode)
		}
	})
	t.Run("Forget", func(t *testing.T) {
		p := newPortal(t, plainConfig())
		csrf, _ := openStatus(t, p)
		p.do(p.client, http.MethodPost, "/status/forget", "application/x-www-form-urlencoded", strings.NewReader(url.Values{"csrf": {csrf}}.Encode()))
		if _, page := p.get("/status"); strings.Contains(page, "SEC-1") {
			t.Fatal("the report is still open after closing it")
		}
	})
	t.Run("ErrForgedCookie", func(t *testing.T) {
		p := newPortal(t, plainConfig())
		openStatus(t, p)
		u, _ := url.Parse(p.srv.URL)
		for _, ck := range p.client.Jar.Cookies(u) {
			if ck.Name == "disclose_status" {
				ck.Value = strings.Repeat("A", len(ck.Value))
				p.client.Jar.SetCookies(u, []*http.Cookie{ck})
			}
		}
		if _, page := p.get("/status"); strings.Contains(page, "SEC-1") {
			t.Fatal("a forged status cookie opened the report")
		}
	})
}

func TestRateLimit(t *testing.T) {
	cfg := plainConfig()
	cfg.StatusRate.PerMinute, cfg.StatusRate.Burst = 1, 3
	p := newPortal(t, cfg)
	_, page := p.get("/status")
	csrf := match(t, csrfRE, page)
	var last *http.Response
	for i := 0; i < 4; i++ {
		last, page = p.do(p.client, http.MethodPost, "/status", "application/x-www-form-urlencoded",
			strings.NewReader(url.Values{"csrf": {csrf}, "code": {"AAAA"}}.Encode()))
	}
	if last.StatusCode != http.StatusTooManyRequests || last.Header.Get("Retry-After") == "" || !strings.Contains(page, "Too many requests") {
		t.Fatalf("4th lookup: %d", last.StatusCode)
	}
	if !strings.Contains(p.logs.String(), "rate limit hit") {
		t.Fatal("rate-limit hit not logged")
	}
}

func TestSecurityHeaders(t *testing.T) {
	p := newPortal(t, testConfig()) // https base URL: HSTS expected
	for _, path := range []string{"/", "/policy", "/report", "/status", "/.well-known/security.txt", "/security.txt", "/healthz", "/nope"} {
		t.Run(path, func(t *testing.T) {
			resp, _ := p.get(path)
			h := resp.Header
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
			_, page := p.get(path)
			if regexp.MustCompile(`<script>|<script [^>]*>[^<]|style=|<style|onload=|onclick=`).MatchString(page) {
				t.Errorf("%s has inline script or style the CSP would block", path)
			}
		}
	})
	t.Run("NoHSTSOverHTTP", func(t *testing.T) {
		p := newPortal(t, plainConfig())
		if resp, _ := p.get("/"); resp.Header.Get("Strict-Transport-Security") != "" {
			t.Fatal("HSTS sent for an http base URL")
		}
	})
	t.Run("SecureCookiesOverHTTPS", func(t *testing.T) {
		resp, _ := p.do(p.newClient(), http.MethodGet, "/report", "", nil)
		ck := resp.Header.Get("Set-Cookie")
		if !strings.HasPrefix(ck, "__Host-") || !strings.Contains(ck, "Secure") || !strings.Contains(ck, "HttpOnly") {
			t.Fatalf("Set-Cookie=%q", ck)
		}
	})
}

func TestSecurityTxt(t *testing.T) {
	p := newPortal(t, testConfig())
	resp, body := p.get("/.well-known/security.txt")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("%d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
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
	_, same := p.get("/security.txt")
	if same != body {
		t.Fatal("/security.txt differs from /.well-known/security.txt")
	}
}

func TestPolicyAndHealth(t *testing.T) {
	p := newPortal(t, plainConfig())
	resp, page := p.get("/policy")
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "<h2>Safe harbour</h2>") {
		t.Fatalf("policy: %d", resp.StatusCode)
	}
	if resp, _ := p.get("/policy/nope"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown program policy: %d", resp.StatusCode)
	}
	if resp, body := p.get("/healthz"); resp.StatusCode != http.StatusOK || body != "ok\n" {
		t.Fatalf("healthz: %d %q", resp.StatusCode, body)
	}
	p.db.Close()
	if resp, _ := p.get("/healthz"); resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("healthz with the database closed: %d", resp.StatusCode)
	}
}
