package handlers_test

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/handlers"
)

// slowUpload is an upload over a raw TCP connection, from the client
// address a trusted proxy forwards, that announces size bytes, sends sent
// of them at once (as one file of a multipart form) and then stalls: the
// portal charges a body by what arrived, so sent is what it holds.
type slowUpload struct {
	conn net.Conn
}

func startSlowUpload(t *testing.T, srvURL, path, client string, size, sent int64, cookies string) *slowUpload {
	t.Helper()
	u, _ := url.Parse(srvURL)
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: %d\r\nX-Forwarded-For: %s\r\n", path, u.Host, size, client)
	token := strangerCSRF
	if cookies != "" {
		fmt.Fprintf(conn, "Cookie: %s\r\n", cookies)
		token = csrfOfCookies(cookies)
	} else {
		fmt.Fprintf(conn, "Cookie: disclose_csrf=%s\r\n", token)
	}
	fmt.Fprintf(conn, "\r\n--x\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n%s\r\n"+
		"--x\r\nContent-Disposition: form-data; name=\"attachments\"; filename=\"big.bin\"\r\n\r\n", token)
	if _, err := conn.Write(bytes.Repeat([]byte("a"), int(sent))); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &slowUpload{conn: conn}
}

// strangerCSRF is a CSRF token as any stranger gets one (the cookie and the
// form field of any page, here made up): the body budget is for clients
// who pass the CSRF check, since anyone can.
const strangerCSRF = "strangerCSRFtokenxxxxxxxxxxxxxxxxxxxxxxxxxx"

// csrfOfCookies is the CSRF token in a Cookie header.
func csrfOfCookies(header string) string {
	for _, c := range strings.Split(header, "; ") {
		if v, ok := strings.CutPrefix(c, "disclose_csrf="); ok {
			return v
		}
	}
	return ""
}

// largePost sends a body of n bytes as client and returns the status (503
// when the budget refuses it; anything else means it was read).
func largePost(t *testing.T, srvURL, path, client string, n int, cookies []*http.Cookie, form url.Values) int {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	if cookies == nil {
		cookies = []*http.Cookie{{Name: "disclose_csrf", Value: strangerCSRF}}
		form = url.Values{"csrf": {strangerCSRF}}
	}
	w.WriteField("csrf", form.Get("csrf"))
	for k, vs := range form {
		if k == "csrf" {
			continue
		}
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

// fillShare opens uploads from client that send a sixteenth of maxBody
// and stall, until the portal refuses a 100 KiB upload from it (its share,
// or the part it may take, is held), and says how many it took. The pieces
// are smaller than that upload: an upload that does not fit is cut off and
// gives back what it held, so a larger piece could leave room for it.
func fillShare(t *testing.T, srvURL, client string, maxBody int64) int {
	t.Helper()
	for i := 0; i < 60; i++ {
		if largePost(t, srvURL, "/report", client, 100<<10, nil, nil) == http.StatusServiceUnavailable {
			return i
		}
		startSlowUpload(t, srvURL, "/report", client, maxBody, maxBody/16, "")
	}
	t.Fatalf("client %s was never refused", client)
	return 0
}

// TestBodyBudgetPerClient: eight stalled uploads from one client held the
// whole shared budget for the read timeout, so every other upload, staff
// replies included, got 503. Each client now holds a share, and part of
// the budget is kept for staff.
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
			startSlowUpload(t, srv, "/report", "203.0.113.9", maxBody, maxBody-4<<10, "")
		}
		fillShare(t, srv, "203.0.113.9", maxBody)
		// A researcher elsewhere files a report with a 200 KiB attachment.
		b := env.browser(t)
		form := b.get("/report")
		u, _ := url.Parse(srv)
		got := largePost(t, srv, "/report", "198.51.100.7", 200<<10, b.c.Jar.Cookies(u), url.Values{"csrf": {b.csrf},
			"key": {regexpFind(`name="key" value="([^"]*)"`, form.Body)}, "title": {"XSS in search"},
			"description": {"The search box reflects input."}, "credit": {"anonymous"}})
		t.Logf("one client stalls eight uploads of %d bytes; a second client's report with 200 KiB attached gets %d", maxBody, got)
		if got != http.StatusOK {
			t.Fatalf("a second client's report: %d while one client stalls eight uploads, want 200", got)
		}
	})
	t.Run("OK staff while strangers fill the rest", func(t *testing.T) {
		// Strangers fill their shares (uploads that send part of the
		// largest body each and stall) until one more stranger is refused:
		// uploads cut off over a share give back what they held meanwhile.
		got := 0
		for i := 0; i < 12 && got != http.StatusServiceUnavailable; i++ {
			fillShare(t, srv, fmt.Sprintf("192.0.2.%d", i+1), maxBody)
			got = largePost(t, srv, "/report", "198.51.100.99", 200<<10, nil, nil)
		}
		if got != http.StatusServiceUnavailable {
			t.Fatalf("a stranger's upload with the anonymous part full: %d, want 503", got)
		}
		b := env.browser(t)
		b.mustLogin("tri@example.org")
		r := mustReport(t, env)
		p := b.get("/triage/reports/" + r.Ref())
		version := regexpFind(`name="version" value="([^"]*)"`, p.Body)
		u, _ := url.Parse(srv)
		got = largePost(t, srv, "/triage/reports/"+r.Ref()+"/reply", "198.51.100.50", 200<<10, b.c.Jar.Cookies(u),
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
