package handlers_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
)

// recordingHandler keeps every log record, and signals each request line.
type recordingHandler struct {
	mu       sync.Mutex
	records  []slog.Record
	requests chan slog.Record
}

func (h *recordingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *recordingHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *recordingHandler) WithGroup(string) slog.Handler            { return h }
func (h *recordingHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	h.records = append(h.records, r.Clone())
	h.mu.Unlock()
	if r.Message == "request" {
		h.requests <- r.Clone()
	}
	return nil
}

func attr(r slog.Record, key string) string {
	v := ""
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == key {
			v = a.Value.String()
			return false
		}
		return true
	})
	return v
}

// TestClientGoneIsNotAnError: a client that closed its connection was
// logged at ERROR as an internal error ("context canceled") with status
// 500. It is a client that went away: INFO, status 499, nothing at ERROR.
// The request waits on a busy database (the test holds the one write
// connection) when its client leaves.
func TestClientGoneIsNotAnError(t *testing.T) {
	rec := &recordingHandler{requests: make(chan slog.Record, 4)}
	p := newPortal(t, logTo(rec), wallClock())
	d := p.DB
	p.mustUser(t, "tri@example.org", db.RoleTriager)
	b := p.browser(t)
	b.mustLogin("tri@example.org")
	for len(rec.requests) > 0 {
		<-rec.requests
	}
	// The test holds the writer: a job that waits until the test ends.
	held, release := make(chan struct{}), make(chan struct{})
	go d.Update(context.Background(), func(context.Context, *db.Tx) error {
		close(held)
		<-release
		return nil
	})
	<-held
	defer close(release)
	entered := make(chan struct{})
	var once sync.Once
	d.Now = func() time.Time { once.Do(func() { close(entered) }); return time.Now().UTC() }

	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, p.Server.URL+"/logout", strings.NewReader(url.Values{"csrf": {b.csrf}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	done := make(chan error, 1)
	go func() {
		resp, err := b.c.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	select {
	case <-entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the request never reached the store")
	}
	cancel() // the browser tab closes: the client drops the connection
	if err := <-done; err == nil {
		t.Fatal("the cancelled request got an answer")
	}
	var line slog.Record
	select {
	case line = <-rec.requests:
	case <-time.After(10 * time.Second):
		t.Fatal("no request line after the client left")
	}
	if got, want := attr(line, "status"), "499"; got != want || line.Level != slog.LevelInfo {
		t.Errorf("request line: status %s at %s, want %s at INFO", got, line.Level, want)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	wentAway := false
	for _, r := range rec.records {
		if r.Level >= slog.LevelError {
			t.Errorf("logged at %s: %q (error=%s)", r.Level, r.Message, attr(r, "error"))
		}
		if r.Message == "client went away" && r.Level == slog.LevelInfo && attr(r, "route") == "/logout" {
			wentAway = true
		}
	}
	if !wentAway {
		t.Error(`no INFO line "client went away" for the route`)
	}
}
