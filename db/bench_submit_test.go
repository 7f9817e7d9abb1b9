package db_test

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/disclose/disclose/db"
)

// BenchmarkCreateReport measures the storage part of a submission with many
// submitters at once (group commit shares their transactions): the report,
// its event and its webhook deliveries. The mail is composed later, by the
// mail gateway's event worker (BenchmarkCreateReportWithMail counts both).
func BenchmarkCreateReport(b *testing.B) {
	d := MustOpenDB(b)
	ctx := context.Background()
	p, _ := d.DefaultProgram(ctx)
	benchCreateReports(b, d, p.ID)
}

// pendingEvents reads the events not yet composed, as the mail gateway
// reads them, without composing them.
func pendingEvents(t testing.TB, d *db.DB) []*db.Event {
	t.Helper()
	var out []*db.Event
	errDone := errors.New("read only")
	err := d.Update(context.Background(), func(ctx context.Context, tx *db.Tx) error {
		var err error
		out, err = tx.PendingEvents(ctx, 0, 1000)
		if err != nil {
			return err
		}
		for _, ev := range out {
			if err := tx.ReadEvent(ctx, ev); err != nil {
				return err
			}
		}
		return errDone
	})
	if !errors.Is(err, errDone) {
		t.Fatal(err)
	}
	return out
}

// A new report's event, read back to compose its mail, carries the report
// as it was stored; of a sealed one only the reporter's address is opened
// (what mail carries), and while the key is locked not even that.
func TestReportCreatedEventMatchesStoredReport(t *testing.T) {
	d := MustOpenDB(t)
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
				stored, err := d.ReportByID(ctx, rc.ReportID)
				if err != nil {
					t.Fatal(err)
				}
				evs := pendingEvents(t, d)
				got := evs[len(evs)-1]
				if locked {
					if err := key.Unlock([]byte(sealPassphrase)); err != nil {
						t.Fatal(err)
					}
				}
				want := *stored
				if stored.Sealed {
					want.Title, want.Description, want.Steps, want.Impact = db.SealedText, db.SealedText, db.SealedText, db.SealedText
					if want.Asset != "" {
						want.Asset = db.SealedText
					}
				}
				if stored.Reporter.Sealed {
					for _, s := range []*string{&want.Reporter.Name, &want.Reporter.PGPKey} {
						if *s != "" {
							*s = db.SealedText
						}
					}
				}
				if got.Kind != db.EventReportCreated || !reflect.DeepEqual(got.Report, &want) || got.Locked != locked {
					t.Errorf("event report (locked %t)\n got %+v\nwant %+v", got.Locked, got.Report, &want)
				}
			}
		}
	}
	t.Run("Plain", check(false))
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
