package db_test

import (
	"context"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
)

const day = 24 * time.Hour

func deadlineOf(t *testing.T, f *triageFixture, r *db.Report, kind db.DeadlineKind) *db.Deadline {
	t.Helper()
	ds, err := f.DB.Deadlines(context.Background(), r.ID)
	if err != nil {
		t.Fatal(err)
	}
	for i := range ds {
		if ds[i].Kind == kind {
			return &ds[i]
		}
	}
	return nil
}

// queueNext is the next deadline as the queue shows it.
func queueNext(t *testing.T, f *triageFixture, r *db.Report) *db.Deadline {
	t.Helper()
	q, err := f.DB.Queue(context.Background(), db.QueueFilter{Search: "", States: nil, Page: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range q.Rows {
		if row.ID == r.ID {
			return row.Next
		}
	}
	t.Fatalf("%s not in the queue", r.Ref())
	return nil
}

func TestDeadlines(t *testing.T) {
	ctx := context.Background()
	f := newTriageFixture(t)
	t0 := f.now
	r := f.report(t, f.P1.ID, "XSS", "desc")

	// Program defaults: first response 3 days, triage 10, disclosure 90.
	ds, err := f.DB.Deadlines(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 3 || ds[0].Kind != db.DeadlineFirstResponse || !ds[0].Due.Equal(t0.Add(3*day)) ||
		ds[1].Kind != db.DeadlineTriage || !ds[1].Due.Equal(t0.Add(10*day)) ||
		ds[2].Kind != db.DeadlineDisclosure || !ds[2].Due.Equal(t0.Add(90*day)) {
		t.Fatalf("deadlines=%+v", ds)
	}
	if got := queueNext(t, f, r); got.Kind != db.DeadlineFirstResponse || !got.Due.Equal(t0.Add(3*day)) || got.Status != db.DeadlineOK {
		t.Fatalf("queue next=%+v, want first response in 3 days, ok", got)
	}
	f.advance(day + time.Hour) // 25 h: 47 h left, inside the 2-day window
	if got := deadlineOf(t, f, r, db.DeadlineFirstResponse); got.Status != db.DeadlineDueSoon {
		t.Fatalf("first response at 25 h: %q, want due soon", got.Status)
	}
	if got := queueNext(t, f, r); got.Status != db.DeadlineDueSoon {
		t.Fatalf("queue at 25 h: %q, want due soon", got.Status)
	}

	// Asking the reporter for information answers (first response) and
	// pauses the clocks.
	r = f.mustState(t, r, db.StateNeedsInfo, "Which browser?")
	if deadlineOf(t, f, r, db.DeadlineFirstResponse) != nil {
		t.Fatal("first response deadline still runs after a state change by staff")
	}
	f.advance(4 * day)
	tr := deadlineOf(t, f, r, db.DeadlineTriage)
	if !tr.Paused || !tr.Due.Equal(t0.Add(14*day)) || tr.Status != db.DeadlineOK {
		t.Fatalf("triage while paused=%+v, want paused, due day 14", tr)
	}
	// The reporter answers: back to new, the 4 days paused are added.
	if err := f.DB.AddReporterMessage(ctx, r.ID, "Firefox 140.", nil, db.SourceWeb, db.DefaultLimits); err != nil {
		t.Fatal(err)
	}
	r = f.fresh(t, r.ID)
	if r.State != db.StateNew {
		t.Fatalf("state=%q after the reply, want new", r.State)
	}
	tr = deadlineOf(t, f, r, db.DeadlineTriage)
	if tr.Paused || !tr.Due.Equal(t0.Add(14*day)) {
		t.Fatalf("triage after the pause=%+v, want running, due day 14", tr)
	}
	if got := queueNext(t, f, r); got.Kind != db.DeadlineTriage || !got.Due.Equal(tr.Due) {
		t.Fatalf("queue next=%+v, want the triage deadline %v", got, tr.Due)
	}
	if ds := deadlineOf(t, f, r, db.DeadlineDisclosure); !ds.Due.Equal(t0.Add(94 * day)) {
		t.Fatalf("disclosure=%v, want day 94 (paused too)", ds.Due)
	}
	f.now = t0.Add(14*day + 2*time.Hour)
	if got := deadlineOf(t, f, r, db.DeadlineTriage); got.Status != db.DeadlineOverdue {
		t.Fatalf("triage at day 14 + 2 h: %q, want overdue", got.Status)
	}
	q, _ := f.DB.Queue(ctx, db.QueueFilter{Deadline: db.DeadlineOverdue})
	if len(q.Rows) != 1 || q.Rows[0].ID != r.ID {
		t.Fatalf("overdue queue=%v, want %s", refs(q), r.Ref())
	}

	// Triage with a high severity starts the resolution clock (30 days from
	// arrival, plus the pause); an agreed disclosure date replaces the
	// default one and does not move.
	r = f.mustState(t, r, db.StateTriaged, "")
	if err := f.DB.EditFields(ctx, r.ID, r.Version, f.Actor, db.FieldEdit{Asset: r.Asset, CWE: r.CWE,
		CVSSVector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", DisclosureDate: "2026-07-01", DisclosureZone: "UTC"}); err != nil {
		t.Fatal(err)
	}
	r = f.fresh(t, r.ID)
	if deadlineOf(t, f, r, db.DeadlineTriage) != nil {
		t.Fatal("triage deadline still runs after triage")
	}
	if rs := deadlineOf(t, f, r, db.DeadlineResolution); rs == nil || !rs.Due.Equal(t0.Add(34*day)) || rs.TargetDays != 30 {
		t.Fatalf("resolution=%+v, want day 34, target 30", rs)
	}
	r = f.mustState(t, r, db.StateNeedsInfo, "More?")
	f.advance(10 * day)
	if ds := deadlineOf(t, f, r, db.DeadlineDisclosure); !ds.Due.Equal(time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)) || ds.Paused {
		t.Fatalf("agreed disclosure=%+v, want 2026-07-01, not paused", ds)
	}
	r = f.mustState(t, r, db.StateWontFix, "Accepted risk.")
	if ds, _ := f.DB.Deadlines(ctx, r.ID); len(ds) != 0 {
		t.Fatalf("closed report has deadlines %+v", ds)
	}
}

func TestDeadlineProgramTargets(t *testing.T) {
	ctx := context.Background()
	f := newTriageFixture(t)
	r := f.report(t, f.P2.ID, "XSS", "desc")
	p := f.P2
	p.FirstResponseDays = 1
	if _, err := f.DB.SaveProgram(ctx, p, nil, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	if got := queueNext(t, f, r); !got.Due.Equal(r.CreatedAt.Add(day)) {
		t.Fatalf("queue next=%v after the target changed to 1 day, want %v", got.Due, r.CreatedAt.Add(day))
	}
}
