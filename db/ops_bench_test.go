package db_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
)

// seedReports stores n reports (no attachments) for the operations benchmarks.
func seedReports(b *testing.B, n int) *db.DB {
	b.Helper()
	ctx := context.Background()
	d := MustOpenDB(b)
	p, _ := d.DefaultProgram(ctx)
	for i := 0; i < n; i++ {
		in := validReport(p.ID)
		in.Attachments = nil
		if _, err := d.CreateReport(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
	return d
}

// BenchmarkStats is the database side of one /metrics scrape.
func BenchmarkStats(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("reports=%d", n), func(b *testing.B) {
			d := seedReports(b, n)
			ctx := context.Background()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := d.Stats(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkBackup is one online backup (VACUUM INTO) of a portal with
// 10 000 reports.
func BenchmarkBackup(b *testing.B) {
	d := seedReports(b, 10000)
	ctx := context.Background()
	dir := b.TempDir()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := d.Backup(ctx, filepath.Join(dir, fmt.Sprintf("b%d.db", i)), nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPurge anonymises 1000 finished reports per run.
func BenchmarkPurge(b *testing.B) {
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		d := seedReports(b, 1000)
		p, _ := d.DefaultProgram(ctx)
		for id := int64(1); id <= 1000; id++ {
			if err := d.SetStateForTest(ctx, id, db.StateNew, db.StateInformative); err != nil {
				b.Fatal(err)
			}
		}
		if err := d.SetRetentionRule(ctx, &db.RetentionRule{ProgramID: p.ID, AnonymiseDays: 1}, db.ActorSystem); err != nil {
			b.Fatal(err)
		}
		now := d.Now()
		d.Now = func() time.Time { return now.Add(48 * time.Hour) }
		b.StartTimer()
		res, err := d.Purge(ctx, false, nil)
		if err != nil || res.Done[db.DisposeAnonymise] != 1000 {
			b.Fatalf("purge: %v %+v", err, res)
		}
	}
}
