package db_test

import (
	"context"
	"os"
	"testing"

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
