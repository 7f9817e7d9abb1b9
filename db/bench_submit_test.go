package db_test

import (
	"context"
	"database/sql"
	"os"
	"testing"
)

// BenchmarkCreateReport measures the storage part of a submission with many
// submitters at once (group commit shares their transactions).
func BenchmarkCreateReport(b *testing.B) {
	d := MustOpenDB(b)
	ctx := context.Background()
	p, _ := d.DefaultProgram(ctx)
	if os.Getenv("BENCH_NO_FTS") != "" {
		raw, _ := sql.Open("sqlite3", d.Path)
		raw.Exec(`DROP TRIGGER reports_fts_insert`)
		raw.Close()
	}
	b.ReportAllocs()
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			in := validReport(p.ID)
			in.Attachments = nil
			if _, err := d.CreateReport(ctx, in); err != nil {
				b.Fatal(err)
			}
		}
	})
}
