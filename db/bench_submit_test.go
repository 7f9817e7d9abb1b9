package db_test

import (
	"context"
	"reflect"
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
	benchCreateReports(b, d, p.ID)
}

type nopNotifier struct{}

func (nopNotifier) Notify(context.Context, *db.Event) ([]*db.OutMail, error) { return nil, nil }

// recordNotifier keeps the events it is given.
type recordNotifier struct{ events []*db.Event }

func (n *recordNotifier) Notify(_ context.Context, ev *db.Event) ([]*db.OutMail, error) {
	n.events = append(n.events, ev)
	return nil, nil
}

// A new report's event carries the report as it was stored (CreateReport
// builds it from the submission instead of reading it back), so that mail
// and webhooks say what the database says.
func TestReportCreatedEventMatchesStoredReport(t *testing.T) {
	d := MustOpenDB(t)
	rec := &recordNotifier{}
	d.Notifier = rec
	ctx := context.Background()
	p, _ := d.DefaultProgram(ctx)
	anonymous := validReport(p.ID)
	named := validReport(p.ID)
	named.Reporter = db.Reporter{Name: "Ada", Email: "ada@example.org", PGPKey: "key text", PGPFingerprint: "ABCD", Credit: db.CreditName}
	named.CVSSVector = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
	named.AlreadyPublic, named.Exploited = true, true
	var key interface {
		Lock()
		Unlock([]byte) error
	}
	check := func(locked bool) func(t *testing.T) {
		return func(t *testing.T) {
			for _, in := range []*db.NewReport{anonymous, named} {
				if locked {
					key.Lock()
				}
				rc, err := d.CreateReport(ctx, in)
				if err != nil {
					t.Fatal(err)
				}
				if locked {
					if err := key.Unlock([]byte(sealPassphrase)); err != nil {
						t.Fatal(err)
					}
				}
				stored, err := d.ReportByID(ctx, rc.ReportID)
				if err != nil {
					t.Fatal(err)
				}
				// Created while locked, the event says so, and still carries
				// the text as submitted for the mail it causes.
				stored.Locked = locked
				got := rec.events[len(rec.events)-1]
				if got.Kind != db.EventReportCreated || !reflect.DeepEqual(got.Report, stored) {
					t.Errorf("event report\n got %+v\nwant %+v", got.Report, stored)
				}
			}
		}
	}
	t.Run("Plain", check(false))
	// Sealed, the report is not read back and opened in the writer.
	k := newTeamKey(t)
	key = k
	d.SetSealer(k, true)
	t.Run("SealedUnlocked", check(false))
	t.Run("SealedLocked", check(true))
}

// benchCreateReports submits attachment-less reports from many goroutines at
// once, as many researchers would, so that they share group commits.
func benchCreateReports(b *testing.B, d *db.DB, programID int64) {
	ctx := context.Background()
	b.ReportAllocs()
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			in := validReport(programID)
			in.Attachments = nil
			if _, err := d.CreateReport(ctx, in); err != nil {
				b.Fatal(err)
			}
		}
	})
}
