package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// discloseBinary is the real binary, built once per test run
// (buildBinary in process_test.go).
func discloseBinary(t testing.TB) string {
	t.Helper()
	return buildBinary(t)
}

// server is a running `disclose serve`.
type server struct {
	URL  string
	Data string
	cmd  *exec.Cmd
	logs *lockedBuffer
}

// syncBuffer is lockedBuffer (user_test.go) under the name the mail tests use.
type syncBuffer = lockedBuffer

var listenRE = regexp.MustCompile(`listening on (http://\S+)/`)

// startServer runs the real binary on a free loopback port with a temp data
// dir and waits for the line that says where it listens.
func startServer(t testing.TB, env ...string) *server {
	t.Helper()
	return startServerIn(t, t.TempDir(), env...)
}

// startServerIn is startServer on a data directory the test prepared.
func startServerIn(t testing.TB, data string, env ...string) *server {
	t.Helper()
	cmd := exec.Command(discloseBinary(t), "serve", "--addr", "127.0.0.1:0", "--data", data)
	cmd.Env = append(os.Environ(), env...)
	logs := &lockedBuffer{}
	cmd.Stderr = logs
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{Data: data, cmd: cmd, logs: logs}
	t.Cleanup(func() { s.stop(t) })
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := listenRE.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
		close(found)
	}()
	select {
	case u, ok := <-found:
		if !ok {
			t.Fatalf("disclose serve exited before listening:\n%s", logs.String())
		}
		s.URL = u
	case <-time.After(30 * time.Second):
		t.Fatalf("disclose serve did not start within 30s:\n%s", logs.String())
	}
	return s
}

func (s *server) stop(t testing.TB) {
	if s.cmd.ProcessState != nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		s.cmd.Process.Kill()
		<-done
		t.Errorf("disclose serve did not stop within 20s of SIGTERM")
	}
}

var (
	csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	keyRE  = regexp.MustCompile(`name="key" value="([^"]+)"`)
	codeRE = regexp.MustCompile(`data-testid="code">([^<]+)<`)
	refRE  = regexp.MustCompile(`data-testid="ref">([^<]+)<`)
)

func find(t testing.TB, re *regexp.Regexp, s string) string {
	t.Helper()
	m := re.FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("no %s in:\n%.2000s", re, s)
	}
	return m[1]
}

func fetch(t testing.TB, c *http.Client, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// TestServeEndToEnd runs the real binary: submit a report with an attachment,
// read the receipt, open the status page with the code, download the file.
func TestServeEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	s := startServer(t)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second}

	if resp, body := fetch(t, c, mustReq(t, "GET", s.URL+"/healthz", nil)); resp.StatusCode != 200 || body != "ok\n" {
		t.Fatalf("healthz: %d %q", resp.StatusCode, body)
	}
	_, form := fetch(t, c, mustReq(t, "GET", s.URL+"/report", nil))
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range map[string]string{
		"csrf": find(t, csrfRE, form), "key": find(t, keyRE, form), "title": "Path traversal in /download",
		"description": "GET /download?f=../../etc/passwd returns the file.", "credit": "anonymous",
	} {
		w.WriteField(k, v)
	}
	fw, _ := w.CreateFormFile("attachments", "request.txt")
	fw.Write([]byte("GET /download?f=../../etc/passwd HTTP/1.1"))
	w.Close()
	req := mustReq(t, "POST", s.URL+"/report", &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	resp, receipt := fetch(t, c, req)
	if resp.StatusCode != 200 {
		t.Fatalf("submit: %d\n%s", resp.StatusCode, receipt)
	}
	ref, code := find(t, refRE, receipt), find(t, codeRE, receipt)
	if ref != "SEC-1" {
		t.Fatalf("ref %q", ref)
	}

	_, login := fetch(t, c, mustReq(t, "GET", s.URL+"/status", nil))
	req = mustReq(t, "POST", s.URL+"/status", strings.NewReader(url.Values{"csrf": {find(t, csrfRE, login)}, "code": {code}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, status := fetch(t, c, req)
	if resp.StatusCode != 200 || find(t, refRE, status) != ref || !strings.Contains(status, "Path traversal in /download") {
		t.Fatalf("status page: %d\n%.2000s", resp.StatusCode, status)
	}
	link := find(t, regexp.MustCompile(`href="(/status/attachments/\d+)"`), status)
	resp, data := fetch(t, c, mustReq(t, "GET", s.URL+link, nil))
	if resp.StatusCode != 200 || data != "GET /download?f=../../etc/passwd HTTP/1.1" {
		t.Fatalf("download: %d %q", resp.StatusCode, data)
	}
	if logs := s.logs.String(); strings.Contains(logs, code) || strings.Contains(logs, "etc/passwd") {
		t.Fatal("the log carries the receipt code or report text")
	}
}

func mustReq(t testing.TB, method, u string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	return req
}
