package db_test

import (
	"context"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
)

// BenchmarkMetricsAt times the metrics page's and the Prometheus scrape's
// reads on an existing database (DISCLOSE_METRICS_DB, e.g. a copy of a
// `disclose demo --reports 1000000` data directory's disclose.db): twelve
// months of every program, and the deadline breaches.
func BenchmarkMetricsAt(b *testing.B) {
	path := os.Getenv("DISCLOSE_METRICS_DB")
	if path == "" {
		b.Skip("DISCLOSE_METRICS_DB is not set")
	}
	ctx := context.Background()
	d, err := db.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	programs, err := d.Programs(ctx)
	if err != nil {
		b.Fatal(err)
	}
	now := d.Now()
	b.Run("Metrics12Months", func(b *testing.B) {
		for b.Loop() {
			if _, err := d.Metrics(ctx, programs, now.AddDate(0, -11, 0), now); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Stats", func(b *testing.B) {
		for b.Loop() {
			if _, err := d.Stats(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// timeMetricsAt times twelve months of metrics for the programs visible
// (nil: all) and logs p50/p99; it fails above 25 ms p99.
func timeMetricsAt(t *testing.T, d *db.DB, who string, visible []int64) {
	t.Helper()
	ctx := context.Background()
	all, err := d.Programs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var programs []*db.Program
	for _, p := range all {
		if visible == nil || slices.Contains(visible, p.ID) {
			programs = append(programs, p)
		}
	}
	now := d.Now()
	var took []time.Duration
	for i := 0; i < 200; i++ {
		start := time.Now()
		if _, err := d.Metrics(ctx, programs, now.AddDate(0, -11, 0), now); err != nil {
			t.Fatal(err)
		}
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	p50, p99 := took[len(took)/2], took[len(took)*99/100]
	t.Logf("metrics, 12 months, %s (%d programs): p50 %v, p99 %v", who, len(programs), p50, p99)
	if p99 > 25*time.Millisecond {
		t.Errorf("metrics for %s: p99 %v over 25 ms", who, p99)
	}
}
