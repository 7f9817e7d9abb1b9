package handlers_test

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/handlers"
)

// slowUpload is an upload that announces size bytes and then trickles, over
// a raw TCP connection, from the client address a trusted proxy forwards.
type slowUpload struct {
	conn net.Conn
	stop chan struct{}
	done chan struct{}
}

func startSlowUpload(t *testing.T, srvURL, path, client string, size int64, cookies string) *slowUpload {
	t.Helper()
	u, _ := url.Parse(srvURL)
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: %d\r\nX-Forwarded-For: %s\r\n", path, u.Host, size, client)
	if cookies != "" {
		fmt.Fprintf(conn, "Cookie: %s\r\n", cookies)
	}
	fmt.Fprintf(conn, "\r\n--x\r\n")
	s := &slowUpload{conn: conn, stop: make(chan struct{}), done: make(chan struct{})}
	go func() { // a byte now and then, never the whole body
		defer close(s.done)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for i := int64(0); i < size-8; i++ {
			select {
			case <-s.stop:
				return
			case <-tick.C:
				if _, err := conn.Write([]byte("a")); err != nil {
					return
				}
			}
		}
	}()
	t.Cleanup(func() { close(s.stop); conn.Close(); <-s.done })
	return s
}

// largePost sends a body of n bytes as client and returns the status (503
// when the budget refuses it; anything else means it was read).
func largePost(t *testing.T, srvURL, path, client string, n int, cookies []*http.Cookie, form url.Values) int {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, vs := range form {
		for _, v := range vs {
			w.WriteField(k, v)
		}
	}
	fw, _ := w.CreateFormFile("attachments", "poc.txt")
	fw.Write(bytes.Repeat([]byte("p"), n))
	w.Close()
	req, _ := http.NewRequest(http.MethodPost, srvURL+path, &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("X-Forwarded-For", client)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	resp, err := noRedirectClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// fillShare opens slow uploads of maxBody from client until the portal
// refuses one from it (its share is held), and says how many it took.
func fillShare(t *testing.T, srvURL, client string, maxBody int64) int {
	t.Helper()
	for i := 0; i < 20; i++ {
		if largePost(t, srvURL, "/report", client, 100<<10, nil, nil) == http.StatusServiceUnavailable {
			return i
		}
		startSlowUpload(t, srvURL, "/report", client, maxBody, "")
	}
	t.Fatalf("client %s was never refused", client)
	return 0
}

// TestBodyBudgetPerClient: eight slow uploads that each announced the
// largest body held the whole shared budget for the read timeout, so every
// other upload, staff replies included, got 503. Each client now holds a
// share, and part of the budget is kept for staff.
func TestBodyBudgetPerClient(t *testing.T) {
	const maxBody = 1 << 20
	_, proxy, _ := net.ParseCIDR("127.0.0.1/32")
	env := newPortal(t, configure(func(c *handlers.Config) {
		c.MaxBody, c.BodyBudget, c.TrustedProxies = maxBody, 8*maxBody, []*net.IPNet{proxy}
	}))
	env.mustUser(t, "tri@example.org", db.RoleTriager, 1)
	srv := env.Server.URL

	t.Run("OK a second client", func(t *testing.T) {
		for i := 0; i < 8; i++ {
			startSlowUpload(t, srv, "/report", "203.0.113.9", maxBody, "")
		}
		fillShare(t, srv, "203.0.113.9", maxBody)
		// A researcher elsewhere files a report with a 200 KiB attachment.
		b := env.browser(t)
		form := b.get("/report")
		u, _ := url.Parse(srv)
		got := largePost(t, srv, "/report", "198.51.100.7", 200<<10, b.c.Jar.Cookies(u), url.Values{"csrf": {b.csrf},
			"key": {regexpFind(`name="key" value="([^"]*)"`, form.Body)}, "title": {"XSS in search"},
			"description": {"The search box reflects input."}, "credit": {"anonymous"}})
		t.Logf("one client trickles eight uploads of %d bytes; a second client's report with 200 KiB attached gets %d", maxBody, got)
		if got != http.StatusOK {
			t.Fatalf("a second client's report: %d while one client trickles eight uploads, want 200", got)
		}
	})
	t.Run("OK staff while strangers fill the rest", func(t *testing.T) {
		for i := 0; i < 12; i++ {
			fillShare(t, srv, fmt.Sprintf("192.0.2.%d", i+1), maxBody)
		}
		if got := largePost(t, srv, "/report", "198.51.100.99", 200<<10, nil, nil); got != http.StatusServiceUnavailable {
			t.Fatalf("a stranger's upload with the anonymous part full: %d, want 503", got)
		}
		b := env.browser(t)
		b.mustLogin("tri@example.org")
		r := mustReport(t, env)
		p := b.get("/triage/reports/" + r.Ref())
		version := regexpFind(`name="version" value="([^"]*)"`, p.Body)
		u, _ := url.Parse(srv)
		got := largePost(t, srv, "/triage/reports/"+r.Ref()+"/reply", "198.51.100.50", 200<<10, b.c.Jar.Cookies(u),
			url.Values{"csrf": {b.csrf}, "version": {version}, "body": {"Thanks, see the attached log."}})
		if got != http.StatusSeeOther {
			t.Fatalf("a staff reply with an attachment: %d, want 303", got)
		}
	})
}

func mustReport(t *testing.T, env *portal) *db.Report {
	t.Helper()
	ctx := t.Context()
	rc, err := env.DB.CreateReport(ctx, &db.NewReport{ProgramID: 1, Source: db.SourceWeb, Title: "Budget", Description: "d",
		Reporter: db.Reporter{Credit: db.CreditAnonymous}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := env.DB.ReportByID(ctx, rc.ReportID)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
