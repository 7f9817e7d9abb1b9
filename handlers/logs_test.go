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
	p := newDocPortal(t, func(c *handlers.Config) {
		c.MetricsToken = metricsToken
		c.StatusRate = handlers.RateLimit{PerMinute: 1, Burst: 3}
	})
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
	c := p.client(t)
	_, code := p.submit(t, c, fields)
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
	_, login := p.get(t, c, "/status")
	secrets = append(secrets, csrfOf(login))
	resp, _ := p.post(t, c, "/status", url.Values{"csrf": {csrfOf(login)}, "code": {code}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("right code: status %d", resp.StatusCode)
	}
	u, _ := url.Parse(p.srv.URL)
	for _, ck := range c.Jar.Cookies(u) {
		secrets = append(secrets, ck.Value)
	}
	const reply = "reply-marker-44d0 with more words"
	resp, _ = p.post(t, c, "/status/reply", url.Values{"csrf": {csrfOf(login)}, "body": {reply}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("reply: status %d", resp.StatusCode)
	}
	secrets = append(secrets, "reply-marker-44d0")

	// Wrong codes until the rate limit answers.
	const wrong = "WRNG-MARK-ERAA-BBBB-CCCC-DDDD-EE"
	secrets = append(secrets, wrong, db.NormalizeReceiptCode(wrong))
	other := p.client(t)
	_, l2 := p.get(t, other, "/status")
	for i := 0; i < 4; i++ {
		p.post(t, other, "/status", url.Values{"csrf": {csrfOf(l2)}, "code": {wrong}})
	}

	// Staff sign-in with a wrong and the right password, a form without its
	// CSRF token, and secrets in query strings.
	const password = "password-marker-0b7e horse battery"
	secrets = append(secrets, password, "wrong-marker-"+password)
	p.db.Auth.Argon2 = db.Argon2Params{Memory: 1024, Time: 1, Threads: 1}
	if _, err := p.db.CreateUser(context.Background(), &db.NewUser{Email: "admin@example.org", Role: db.RoleAdmin, Password: password}, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	staff := p.client(t)
	_, lg := p.get(t, staff, "/login")
	p.post(t, staff, "/login", url.Values{"csrf": {csrfOf(lg)}, "email": {"admin@example.org"}, "password": {"wrong-marker-" + password}})
	p.post(t, staff, "/login", url.Values{"csrf": {csrfOf(lg)}, "email": {"admin@example.org"}, "password": {password}})
	if resp, _ := p.get(t, staff, "/admin"); resp.StatusCode != http.StatusOK {
		t.Fatalf("not signed in: /admin answers %d", resp.StatusCode)
	}
	for _, ck := range staff.Jar.Cookies(u) {
		secrets = append(secrets, ck.Value)
	}
	p.post(t, other, "/login?password="+url.QueryEscape(password), url.Values{"email": {"admin@example.org"}, "password": {password}})
	p.get(t, other, "/setup/"+strings.Repeat("token-marker", 3))
	secrets = append(secrets, strings.Repeat("token-marker", 3))

	// Metrics with a wrong and the right bearer token.
	const wrongToken = "wrong-token-marker-77aa"
	secrets = append(secrets, metricsToken, wrongToken)
	for _, tok := range []string{wrongToken, metricsToken} {
		req, _ := http.NewRequest(http.MethodGet, p.srv.URL+"/metrics", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("X-Forwarded-For", "198.51.100.7")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}

	logs := p.log.String()
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
