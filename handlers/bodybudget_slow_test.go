package handlers

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
)

// slowPortal is a portal with a small body limit behind a trusted proxy on
// loopback, so that raw TCP clients can say which network they are.
func slowPortal(t *testing.T, mod func(*Config)) (*Server, string) {
	t.Helper()
	ctx := context.Background()
	d, err := db.Open(ctx, filepath.Join(t.TempDir(), "disclose.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	_, proxy, _ := net.ParseCIDR("127.0.0.1/32")
	base, _ := url.Parse("http://127.0.0.1")
	cfg := Config{BaseURL: base, Limits: db.DefaultLimits, MaxBody: 1 << 20, BodyBudget: 8 << 20, TrustedProxies: []*net.IPNet{proxy}}
	if mod != nil {
		mod(&cfg)
	}
	s, err := New(ctx, cfg, d, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv.URL
}

// strangerCSRF is a CSRF token as any stranger gets one (the cookie and the
// form field of any page, here made up): the body budget is for clients
// who pass the CSRF check, since anyone can.
const strangerCSRF = "strangerCSRFtokenxxxxxxxxxxxxxxxxxxxxxxxxxx"

// csrfPart is the first part of a multipart form carrying strangerCSRF, as
// the portal's forms send it before their files.
const csrfPart = "--x\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n" + strangerCSRF + "\r\n"

// rawUpload opens a POST over a raw TCP connection from client that
// announces size bytes and sends the first sent of them (one file of a
// multipart form); the caller decides what follows.
func rawUpload(t *testing.T, srvURL, client string, size, sent int) net.Conn {
	t.Helper()
	u, _ := url.Parse(srvURL)
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	fmt.Fprintf(conn, "POST /report HTTP/1.1\r\nHost: %s\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: %d\r\nX-Forwarded-For: %s\r\nCookie: disclose_csrf=%s\r\n\r\n"+
		csrfPart+"--x\r\nContent-Disposition: form-data; name=\"attachments\"; filename=\"big.bin\"\r\n\r\n", u.Host, size, client, strangerCSRF)
	if _, err := conn.Write(bytes.Repeat([]byte("a"), sent)); err != nil {
		t.Fatal(err)
	}
	return conn
}

// answer reads the status code the portal sent on conn, within limit.
func answer(t *testing.T, conn net.Conn, limit time.Duration) int {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(limit))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer within %v: %v", limit, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// waitHolders waits (bounded) until the budget has at least n holders.
func waitHolders(t *testing.T, b *bodyBudget, n int) {
	t.Helper()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	limit := time.After(10 * time.Second)
	for {
		b.mu.Lock()
		got := len(b.holders)
		b.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-tick.C:
		case <-limit:
			t.Fatalf("the portal reads %d large bodies, want %d", got, n)
		}
	}
}

// honestUpload posts a form with an attachment of n bytes as client and
// returns the status: 503 when the budget refused it, anything else means
// it was read (without a form token the portal answers 403 once it has).
func honestUpload(t *testing.T, srvURL, client string, n int) int {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	w.WriteField("csrf", strangerCSRF)
	fw, _ := w.CreateFormFile("attachments", "poc.txt")
	fw.Write(bytes.Repeat([]byte("p"), n))
	w.Close()
	req, _ := http.NewRequest(http.MethodPost, srvURL+"/report", &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("X-Forwarded-For", client)
	req.AddCookie(&http.Cookie{Name: "disclose_csrf", Value: strangerCSRF})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestTricklingStrangersHoldNoUploadBudget: a body was charged by the
// length it announced, so six strangers on six networks, each announcing
// the largest body and sending a trickle, held the whole anonymous part of
// the budget (each network may hold one largest body, a quarter is kept
// for staff) for the read timeout, and every other researcher's upload got
// 503. A body now holds what arrived: a dozen stalled strangers hold a few
// kilobytes, and a researcher's upload goes through.
func TestTricklingStrangersHoldNoUploadBudget(t *testing.T) {
	s, srv := slowPortal(t, nil)
	const strangers = 12
	for i := 0; i < strangers; i++ {
		rawUpload(t, srv, fmt.Sprintf("2001:db8:0:%x::1", i), 1<<20, 1<<10)
	}
	waitHolders(t, s.bodies, 6) // the portal is reading them
	got := honestUpload(t, srv, "198.51.100.7", 200<<10)
	s.bodies.mu.Lock()
	used := s.bodies.used
	s.bodies.mu.Unlock()
	t.Logf("%d strangers stalled after 1 KiB of 1 MiB: they hold %d bytes; a researcher's 200 KiB upload gets %d", strangers, used, got)
	if got == http.StatusServiceUnavailable {
		t.Errorf("a researcher's 200 KiB upload was refused while strangers trickle")
	}
}
