package db_test

import (
	"context"
	"testing"
)

func BenchmarkReportPageParts(b *testing.B) {
	d, long := benchDB(b)
	ctx := context.Background()
	r, _ := d.ReportByRef(ctx, long)
	b.Run("Ref", func(b *testing.B) { timed(b, func() error { _, err := d.ReportByRef(ctx, long); return err }) })
	b.Run("Details", func(b *testing.B) { timed(b, func() error { _, err := d.Details(ctx, r.ID); return err }) })
	b.Run("Timeline", func(b *testing.B) { timed(b, func() error { _, err := d.Timeline(ctx, r.ID, false); return err }) })
	b.Run("Deadlines", func(b *testing.B) { timed(b, func() error { _, err := d.Deadlines(ctx, r.ID); return err }) })
	b.Run("Similar", func(b *testing.B) { timed(b, func() error { _, err := d.SimilarReports(ctx, r, 5); return err }) })
}
