package handlers_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/handlers"
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

// stallingStore answers the program list only once the request's context
// ends, as a query waiting on a busy database does when its client leaves.
type stallingStore struct {
	*db.DB
	entered chan struct{}
}

func (s *stallingStore) Programs(ctx context.Context) ([]*db.Program, error) {
	close(s.entered)
	<-ctx.Done()
	return nil, fmt.Errorf("db: list programs: %w", ctx.Err())
}

// TestClientGoneIsNotAnError: a client that closed its connection was
// logged at ERROR as an internal error ("context canceled") with status
// 500. It is a client that went away: INFO, status 499, nothing at ERROR.
func TestClientGoneIsNotAnError(t *testing.T) {
	rec := &recordingHandler{requests: make(chan slog.Record, 4)}
	store := &stallingStore{DB: openDB(t), entered: make(chan struct{})}
	base, _ := url.Parse("http://127.0.0.1")
	srv, err := handlers.New(context.Background(), handlers.Config{BaseURL: base, Limits: db.DefaultLimits, MaxBody: 1 << 20}, store, slog.New(rec))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)

	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, ts.URL+"/policy", nil)
	done := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	select {
	case <-store.entered:
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
		if r.Message == "client went away" && r.Level == slog.LevelInfo && attr(r, "route") == "/policy" {
			wentAway = true
		}
	}
	if !wentAway {
		t.Error(`no INFO line "client went away" for the route`)
	}
}
