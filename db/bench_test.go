package db_test

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/db/demo"
)

// benchReports is the size the speed targets are stated for.
const benchReports = 100_000

var benchOnce struct {
	sync.Once
	path string
	long string
	err  error
}

// benchDB opens a database of 100,000 demo reports. It is made once by the
// demo generator and cached under the system temp dir, since making it
// takes tens of seconds; delete the file to rebuild it.
func benchDB(b *testing.B) (*db.DB, string) {
	b.Helper()
	if testing.Short() {
		b.Skip("skipped under -short: needs a 100,000-report database (about 45 s to build once)")
	}
	ctx := context.Background()
	benchOnce.Do(func() {
		dir := filepath.Join(os.TempDir(), "disclose-bench-v2")
		path := filepath.Join(dir, "disclose.db")
		benchOnce.path = path
		if _, err := os.Stat(path); err != nil {
			tmp := filepath.Join(dir, "building")
			os.RemoveAll(tmp)
			d, err := db.Open(ctx, filepath.Join(tmp, "disclose.db"))
			if err != nil {
				benchOnce.err = err
				return
			}
			_, err = demo.Generate(ctx, d, demo.Options{Reports: benchReports, Seed: 1})
			d.Close()
			if err != nil {
				benchOnce.err = err
				return
			}
			// The local key first: the database refuses to open without it.
			if benchOnce.err = os.Rename(filepath.Join(tmp, db.LocalKeyFile), filepath.Join(dir, db.LocalKeyFile)); benchOnce.err != nil {
				return
			}
			if benchOnce.err = os.Rename(filepath.Join(tmp, "disclose.db"), path); benchOnce.err != nil {
				return
			}
			os.RemoveAll(tmp)
		}
	})
	if benchOnce.err != nil {
		b.Fatal(benchOnce.err)
	}
	d, err := db.Open(ctx, benchOnce.path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { d.Close() })
	long, err := d.LongTimelineRef(ctx, 200)
	if err != nil {
		b.Fatal(err)
	}
	return d, long
}

// timed runs fn b.N times and reports the 50th and 99th percentile.
func timed(b *testing.B, fn func() error) {
	b.Helper()
	durs := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		if err := fn(); err != nil {
			b.Fatal(err)
		}
		durs = append(durs, time.Since(start))
	}
	b.StopTimer()
	sort.Slice(durs, func(i, j int) bool { return durs[i] < durs[j] })
	b.ReportMetric(float64(durs[len(durs)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(durs[len(durs)*99/100].Microseconds())/1000, "p99-ms")
}

func BenchmarkQueue(b *testing.B) {
	d, _ := benchDB(b)
	ctx := context.Background()
	ps, err := d.Programs(ctx)
	if err != nil {
		b.Fatal(err)
	}
	visible := []int64{ps[0].ID, ps[1].ID}
	staff, err := d.UserByEmail(ctx, "alice@demo.invalid")
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		f    db.QueueFilter
	}{
		{"OpenNewest", db.QueueFilter{States: db.StateGroups["open"], Visible: visible}},
		{"OpenProgramUnassigned", db.QueueFilter{States: db.StateGroups["open"], ProgramID: ps[1].ID, AssigneeID: db.AssigneeNone}},
		{"TriagedBySeverity", db.QueueFilter{States: []db.State{db.StateTriaged}, Sort: db.SortSeverity, Visible: visible}},
		{"OpenByDeadline", db.QueueFilter{States: db.StateGroups["open"], Sort: db.SortDeadline}},
		{"Overdue", db.QueueFilter{States: db.StateGroups["open"], Deadline: db.DeadlineOverdue, Visible: visible}},
		{"HighEmailPage3", db.QueueFilter{Severity: db.SeverityHigh, Source: db.SourceEmail, Page: 3}},
		{"NarrowCombo", db.QueueFilter{States: db.StateGroups["open"], AssigneeID: staff.ID, Severity: db.SeverityCritical}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			timed(b, func() error {
				q, err := d.Queue(ctx, bc.f)
				if err == nil && len(q.Rows) == 0 {
					b.Fatal("empty queue page")
				}
				return err
			})
		})
	}
}

func BenchmarkSearch(b *testing.B) {
	d, _ := benchDB(b)
	ctx := context.Background()
	for _, bc := range []struct {
		name string
		f    db.QueueFilter
	}{
		{"Relevance", db.QueueFilter{Search: "sql injection", Sort: db.SortRelevance}},
		{"OpenNewest", db.QueueFilter{Search: "password reset token", States: db.StateGroups["open"]}},
		{"RareWord", db.QueueFilter{Search: "transcoder"}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			timed(b, func() error {
				q, err := d.Queue(ctx, bc.f)
				if err == nil && len(q.Rows) == 0 {
					b.Fatal("no search results")
				}
				return err
			})
		})
	}
}

// BenchmarkReportPage reads what the report page shows for a report with a
// 200-entry timeline.
func BenchmarkReportPage(b *testing.B) {
	d, long := benchDB(b)
	ctx := context.Background()
	timed(b, func() error {
		r, err := d.ReportByRef(ctx, long)
		if err != nil {
			return err
		}
		if _, err := d.Details(ctx, r.ID); err != nil {
			return err
		}
		tl, err := d.Timeline(ctx, r.ID, false)
		if err != nil {
			return err
		}
		if len(tl) < 200 {
			b.Fatalf("timeline has %d entries, want 200", len(tl))
		}
		if _, err := d.Deadlines(ctx, r.ID); err != nil {
			return err
		}
		_, err = d.SimilarReports(ctx, r, 5)
		return err
	})
}
