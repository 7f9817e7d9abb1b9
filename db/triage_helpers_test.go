package db_test

import (
	"context"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
)

// triageFixture is a database with two programs, a triager of the first,
// and a clock the test moves.
type triageFixture struct {
	DB      *db.DB
	P1, P2  *db.Program
	Triager *db.User
	Actor   db.Actor
	now     time.Time
}

func newTriageFixture(t testing.TB) *triageFixture {
	t.Helper()
	ctx := context.Background()
	f := &triageFixture{DB: MustOpenDB(t), now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	f.DB.Now = func() time.Time { return f.now }
	var err error
	if f.P1, err = f.DB.DefaultProgram(ctx); err != nil {
		t.Fatal(err)
	}
	p := db.NewProgramDefaults()
	p.Name, p.Slug, p.Prefix = "Other", "other", "OTH"
	if f.P2, err = f.DB.SaveProgram(ctx, p, nil, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	if f.Triager, err = f.DB.CreateUser(ctx, &db.NewUser{Email: "tina@example.org", Name: "Tina", Role: db.RoleTriager,
		Password: "correct horse battery staple", ProgramIDs: []int64{f.P1.ID}}, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	f.Actor = f.Triager.Actor("192.0.2.1")
	return f
}

func (f *triageFixture) advance(d time.Duration) { f.now = f.now.Add(d) }

// report files a report and returns it fresh.
func (f *triageFixture) report(t testing.TB, programID int64, title, description string) *db.Report {
	t.Helper()
	in := validReport(programID)
	in.Title, in.Description = title, description
	in.CVSSVector = ""
	rc, err := f.DB.CreateReport(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return f.fresh(t, rc.ReportID)
}

func (f *triageFixture) fresh(t testing.TB, id int64) *db.Report {
	t.Helper()
	r, err := f.DB.ReportByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (f *triageFixture) mustState(t testing.TB, r *db.Report, to db.State, reason string) *db.Report {
	t.Helper()
	if err := f.DB.ChangeState(context.Background(), r.ID, r.Version, f.Actor, db.StateChange{To: to, Reason: reason}); err != nil {
		t.Fatalf("%s -> %s: %v", r.State, to, err)
	}
	return f.fresh(t, r.ID)
}

func fieldError(err error, field string) string {
	return db.ErrorFields(err)[field]
}

func auditActions(t testing.TB, d *db.DB, target string) []string {
	t.Helper()
	page, err := d.ListAudit(context.Background(), db.AuditFilter{Target: target})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range page.Entries {
		out = append(out, e.Action)
	}
	return out
}
