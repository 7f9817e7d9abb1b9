package db_test

import (
	"context"
	"testing"

	"github.com/disclose/disclose/db"
)

// BenchmarkCreateReport measures the storage part of a submission with many
// submitters at once (group commit shares their transactions). A Notifier
// is set, as in `disclose serve`, so that the queries it costs (staff to
// tell, webhooks to queue) are counted; it composes no mail.
func BenchmarkCreateReport(b *testing.B) {
	d := MustOpenDB(b)
	d.Notifier = nopNotifier{}
	ctx := context.Background()
	p, _ := d.DefaultProgram(ctx)
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

type nopNotifier struct{}

func (nopNotifier) Notify(context.Context, *db.Event) ([]*db.OutMail, error) { return nil, nil }
