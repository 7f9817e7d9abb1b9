package handlers_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/disclose/disclose/handlers"
)

// TestBodyBudget: the large bodies read at once share one budget, charged by what arrived; over it the portal
// answers 503, and small forms (sign-in, status) never wait behind uploads.
func TestBodyBudget(t *testing.T) {
	const maxBody = 1 << 20
	p := newPortal(t, configure(func(c *handlers.Config) { c.MaxBody, c.BodyBudget = maxBody, maxBody }))
	post := func(body io.Reader, size int64) int {
		req, _ := http.NewRequest(http.MethodPost, p.Server.URL+"/report", body)
		req.ContentLength = size
		req.Header.Set("Content-Type", "multipart/form-data; boundary=x")
		req.AddCookie(&http.Cookie{Name: "disclose_csrf", Value: strangerCSRF})
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0 // the slow upload ends this way when the test cuts it off
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	// An upload of the largest size that sent most of it and stalls holds
	// most of the budget. A second upload read while the first still
	// arrives can take the budget first and cut the first off (as it
	// should); the first is then started again.
	file := "--x\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n" + strangerCSRF + "\r\n" +
		"--x\r\nContent-Disposition: form-data; name=\"attachments\"; filename=\"a\"\r\n\r\n"
	var pw *io.PipeWriter
	var slow chan int
	startSlow := func() {
		var pr *io.PipeReader
		pr, pw = io.Pipe()
		slow = make(chan int, 1)
		go func() { slow <- post(pr, maxBody) }()
		pw.Write([]byte(file))
		pw.Write(bytes.Repeat([]byte("a"), maxBody-32<<10))
	}
	startSlow()
	t.Cleanup(func() { pw.CloseWithError(io.ErrUnexpectedEOF); <-slow })

	t.Run("ErrOverBudget", func(t *testing.T) {
		got := 0
		for i := 0; i < 200 && got != http.StatusServiceUnavailable; i++ { // until the slow upload holds the budget
			select {
			case <-slow:
				startSlow()
			default:
			}
			body := file + strings.Repeat("b", 100<<10) + "\r\n--x--\r\n"
			got = post(strings.NewReader(body), int64(len(body)))
		}
		if want := http.StatusServiceUnavailable; got != want {
			t.Fatalf("a second large upload: got %d, want %d", got, want)
		}
	})
	t.Run("OK small form", func(t *testing.T) {
		form := "email=a%40example.org&password=x"
		req, _ := http.NewRequest(http.MethodPost, p.Server.URL+"/login", strings.NewReader(form))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusServiceUnavailable {
			t.Fatal("a sign-in form waited behind an upload")
		}
	})
}
