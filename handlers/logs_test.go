package handlers_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/handlers"
)

// logLines parses the JSON log.
func logLines(t *testing.T, logs string) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(logs))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", sc.Text())
		}
		out = append(out, m)
	}
	return out
}

// TestLogsKeepSecretsOut runs submissions, right and wrong receipt codes, a
// reporter reply, a login form with a password, and metrics requests with
// tokens through the real handler, then searches the log for every secret
// and every piece of report text that went in.
func TestLogsKeepSecretsOut(t *testing.T) {
	const metricsToken = "metrics-token-marker-5d1c9e"
	p := newPortal(t, configure(func(c *handlers.Config) {
		c.MetricsToken = metricsToken
		c.StatusRate = handlers.RateLimit{PerMinute: 1, Burst: 3}
	}))
	fields := map[string]string{
		"title":       "title-marker-7f3a",
		"description": "description-marker-91be",
		"steps":       "steps-marker-2c44",
		"impact":      "impact-marker-e0d1",
		"asset":       "asset-marker.example.org",
		"name":        "name-marker-aa10",
		"email":       "email-marker@example.org",
		"credit":      "handle",
	}
	c := p.browser(t)
	_, code := c.fileReport(fields)
	if code == "" {
		t.Fatal("no receipt code shown")
	}
	secrets := []string{code, db.NormalizeReceiptCode(code)}
	for _, v := range fields {
		if v != "handle" {
			secrets = append(secrets, v)
		}
	}

	// Right code, then a reply from the status page.
	c.get("/status")
	secrets = append(secrets, c.csrf)
	if pg := c.follow(c.post("/status", url.Values{"code": {code}})); pg.Status != http.StatusOK {
		t.Fatalf("right code: status %d", pg.Status)
	}
	u, _ := url.Parse(p.Server.URL)
	for _, ck := range c.c.Jar.Cookies(u) {
		secrets = append(secrets, ck.Value)
	}
	const reply = "reply-marker-44d0 with more words"
	if pg := c.follow(c.post("/status/reply", url.Values{"body": {reply}})); pg.Status != http.StatusOK {
		t.Fatalf("reply: status %d", pg.Status)
	}
	secrets = append(secrets, "reply-marker-44d0")

	// Wrong codes until the rate limit answers.
	const wrong = "WRNG-MARK-ERAA-BBBB-CCCC-DDDD-EE"
	secrets = append(secrets, wrong, db.NormalizeReceiptCode(wrong))
	other := p.browser(t)
	other.get("/status")
	for i := 0; i < 4; i++ {
		other.post("/status", url.Values{"code": {wrong}})
	}

	// Staff sign-in with a wrong and the right password, a form without its
	// CSRF token, and secrets in query strings.
	const password = "password-marker-0b7e horse battery"
	secrets = append(secrets, password, "wrong-marker-"+password)
	if _, err := p.DB.CreateUser(context.Background(), &db.NewUser{Email: "admin@example.org", Role: db.RoleAdmin, Password: password}, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	staff := p.browser(t)
	staff.login("admin@example.org", "wrong-marker-"+password)
	staff.login("admin@example.org", password)
	if pg := staff.get("/admin"); pg.Status != http.StatusOK {
		t.Fatalf("not signed in: /admin answers %d", pg.Status)
	}
	for _, ck := range staff.c.Jar.Cookies(u) {
		secrets = append(secrets, ck.Value)
	}
	other.post("/login?password="+url.QueryEscape(password), url.Values{"email": {"admin@example.org"}, "password": {password}, "csrf": nil}) // no CSRF token: refused
	other.get("/setup/" + strings.Repeat("token-marker", 3))
	secrets = append(secrets, strings.Repeat("token-marker", 3))

	// Metrics with a wrong and the right bearer token.
	const wrongToken = "wrong-token-marker-77aa"
	secrets = append(secrets, metricsToken, wrongToken)
	for _, tok := range []string{wrongToken, metricsToken} {
		req, _ := http.NewRequest(http.MethodGet, p.Server.URL+"/metrics", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("X-Forwarded-For", "198.51.100.7")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}

	logs := p.logs.String()
	lower := strings.ToLower(logs)
	for _, s := range secrets {
		if s != "" && strings.Contains(lower, strings.ToLower(s)) {
			t.Errorf("the log contains %q", s)
		}
	}

	t.Run("RequestLine", func(t *testing.T) {
		found := false
		for _, m := range logLines(t, logs) {
			if m["msg"] == "request" && m["route"] == "/report" && m["method"] == "POST" && m["status"] == float64(200) {
				if m["request_id"] == "" || m["request_id"] == nil || m["duration_ms"] == nil {
					t.Fatalf("request line without id or duration: %v", m)
				}
				found = true
			}
		}
		if !found {
			t.Fatalf("no request line for POST /report:\n%s", logs)
		}
	})
	t.Run("SecurityEventsAtWarn", func(t *testing.T) {
		want := map[string]bool{"wrong receipt code": false, "rate limit hit": false, "csrf refused": false, "metrics access refused": false, "login failed": false}
		for _, m := range logLines(t, logs) {
			if _, ok := want[m["msg"].(string)]; ok && m["level"] == "WARN" {
				want[m["msg"].(string)] = true
			}
		}
		for msg, ok := range want {
			if !ok {
				t.Errorf("no warn line %q", msg)
			}
		}
	})
}
