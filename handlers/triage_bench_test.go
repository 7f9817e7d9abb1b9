package handlers_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/db/demo"
)

// benchServer is the real route table on the cached database of 100,000
// demo reports (the one db's benchmarks build, made here if missing), with
// an admin session. Requests go straight to ServeHTTP: what is measured is
// the server's own time.
func benchServer(b *testing.B) (http.Handler, string, string) {
	b.Helper()
	if testing.Short() {
		b.Skip("skipped under -short: needs a 100,000-report database (about 45 s to build once)")
	}
	ctx := context.Background()
	dir := filepath.Join(os.TempDir(), "disclose-bench-v2")
	path := filepath.Join(dir, "disclose.db")
	if _, err := os.Stat(path); err != nil {
		tmp := filepath.Join(dir, "building-handlers")
		os.RemoveAll(tmp)
		d, err := db.Open(ctx, filepath.Join(tmp, "disclose.db"))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := demo.Generate(ctx, d, demo.Options{Reports: 100_000, Seed: 1}); err != nil {
			b.Fatal(err)
		}
		d.Close()
		// The local key first: the database refuses to open without it.
		if err := os.Rename(filepath.Join(tmp, db.LocalKeyFile), filepath.Join(dir, db.LocalKeyFile)); err != nil {
			b.Fatal(err)
		}
		if err := os.Rename(filepath.Join(tmp, "disclose.db"), path); err != nil {
			b.Fatal(err)
		}
		os.RemoveAll(tmp)
	}
	d, err := db.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { d.Close() })
	u, err := d.UserByEmail(ctx, "bench@demo.invalid")
	if db.ErrorCode(err) == db.ENOTFOUND {
		u, err = d.CreateUser(ctx, &db.NewUser{Email: "bench@demo.invalid", Name: "Bench", Role: db.RoleAdmin}, db.ActorSystem)
	}
	if err != nil {
		b.Fatal(err)
	}
	token, err := d.CreateSession(ctx, u.ID, "127.0.0.1")
	if err != nil {
		b.Fatal(err)
	}
	long, err := d.LongTimelineRef(ctx, 200)
	if err != nil {
		b.Fatal(err)
	}
	return newPortal(b, onDatabase(d), logTo(slog.NewTextHandler(io.Discard, nil))).Handler, token, long
}

// BenchmarkTriagePages serves the pages of the speed targets and
// reports their 50th and 99th percentile.
func BenchmarkTriagePages(b *testing.B) {
	srv, token, long := benchServer(b)
	for _, bc := range []struct{ name, path string }{
		{"QueueFiltered", "/triage?state=open&program=web&assignee=none"},
		{"QueueBySeverity", "/triage?state=triaged&sort=severity"},
		{"Search", "/triage?state=all&q=password+reset+token"},
		{"ReportPage200", "/triage/reports/" + long},
	} {
		b.Run(bc.name, func(b *testing.B) {
			durs := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				req := httptest.NewRequest(http.MethodGet, bc.path, nil)
				req.AddCookie(&http.Cookie{Name: "disclose_session", Value: token})
				w := httptest.NewRecorder()
				start := time.Now()
				srv.ServeHTTP(w, req)
				durs = append(durs, time.Since(start))
				if w.Code != http.StatusOK {
					b.Fatalf("status %d", w.Code)
				}
			}
			b.StopTimer()
			sort.Slice(durs, func(i, j int) bool { return durs[i] < durs[j] })
			b.ReportMetric(float64(durs[len(durs)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(durs[len(durs)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}
