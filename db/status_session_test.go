package db_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
)

// rawOpen opens the database file beside the portal, as another process (or
// someone holding a copy) would.
func rawOpen(t *testing.T, path string) *sql.DB {
	t.Helper()
	raw, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return raw
}

func countRows(t *testing.T, d *db.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := rawOpen(t, d.Path).QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestStatusSession(t *testing.T) {
	ctx := context.Background()
	setup := func(t *testing.T) (*db.DB, *clock, *db.Receipt) {
		d := MustOpenDB(t)
		clk := withClock(d)
		p, _ := d.DefaultProgram(ctx)
		return d, clk, mustSubmit(t, d, p.ID, "Status session report")
	}
	opens := func(t *testing.T, d *db.DB, token string, want int64) {
		t.Helper()
		r, err := d.ReportByStatusSession(ctx, token)
		if err != nil || r.ID != want {
			t.Fatalf("ReportByStatusSession = %v, %v; want report %d", r, err, want)
		}
	}
	refused := func(t *testing.T, d *db.DB, token, why string) {
		t.Helper()
		if _, err := d.ReportByStatusSession(ctx, token); db.ErrorCode(err) != db.EUNAUTHORIZED {
			t.Fatalf("%s: err=%v, want EUNAUTHORIZED", why, err)
		}
	}
	t.Run("OK", func(t *testing.T) {
		d, clk, rc := setup(t)
		token, err := d.StartStatusSession(ctx, rc.Code, "")
		if err != nil {
			t.Fatal(err)
		}
		opens(t, d, token, rc.ReportID)
		// Use keeps it open past the idle time, up to the lifetime.
		for i := 0; i < 4; i++ {
			clk.Advance(db.StatusSessionIdle - time.Minute)
			opens(t, d, token, rc.ReportID)
		}
		refused(t, d, "", "no token")
		other := "A"
		if token[0] == 'A' {
			other = "B"
		}
		refused(t, d, other+token[1:], "another token")
	})
	t.Run("ErrWrongCode", func(t *testing.T) {
		d, _, rc := setup(t)
		wrong := "A" + db.NormalizeReceiptCode(rc.Code)[1:]
		if wrong == db.NormalizeReceiptCode(rc.Code) {
			wrong = "B" + wrong[1:]
		}
		if _, err := d.StartStatusSession(ctx, wrong, ""); db.ErrorCode(err) != db.ENOTFOUND {
			t.Fatalf("wrong code: %v", err)
		}
	})
	t.Run("ErrIdle", func(t *testing.T) {
		d, clk, rc := setup(t)
		token, _ := d.StartStatusSession(ctx, rc.Code, "")
		clk.Advance(db.StatusSessionIdle)
		refused(t, d, token, "idle session")
		clk.t = clk.t.Add(-db.StatusSessionIdle)
		refused(t, d, token, "an idle session, presented again after the clock went back")
	})
	t.Run("ErrLifetime", func(t *testing.T) {
		d, clk, rc := setup(t)
		token, _ := d.StartStatusSession(ctx, rc.Code, "")
		for elapsed := time.Duration(0); elapsed < db.StatusSessionLifetime-db.StatusSessionIdle/2; elapsed += db.StatusSessionIdle / 2 {
			clk.Advance(db.StatusSessionIdle / 2)
			opens(t, d, token, rc.ReportID)
		}
		clk.Advance(db.StatusSessionIdle / 2)
		refused(t, d, token, "a session past its lifetime")
	})
	t.Run("Rotation", func(t *testing.T) {
		d, _, rc := setup(t)
		p, _ := d.DefaultProgram(ctx)
		other := mustSubmit(t, d, p.ID, "Another report")
		first, _ := d.StartStatusSession(ctx, rc.Code, "")
		planted, _ := d.StartStatusSession(ctx, other.Code, "")
		// The browser held "planted" (another report's session) when its
		// owner typed their code: both the planted one and any earlier
		// session of the report end.
		second, err := d.StartStatusSession(ctx, rc.Code, planted)
		if err != nil {
			t.Fatal(err)
		}
		refused(t, d, first, "the report's earlier session")
		refused(t, d, planted, "the session the browser held before")
		opens(t, d, second, rc.ReportID)
	})
	t.Run("EndStatusSession", func(t *testing.T) {
		d, _, rc := setup(t)
		token, _ := d.StartStatusSession(ctx, rc.Code, "")
		if err := d.EndStatusSession(ctx, token); err != nil {
			t.Fatal(err)
		}
		refused(t, d, token, "an ended session")
		if err := d.EndStatusSession(ctx, token); err != nil {
			t.Fatalf("ending an unknown session: %v", err)
		}
	})
	t.Run("EndedByRetention", func(t *testing.T) {
		d, clk, rc := setup(t)
		p, _ := d.DefaultProgram(ctx)
		spam := mustSubmit(t, d, p.ID, "Buy cheap pills")
		mustMove(t, d, rc.ReportID, db.StateNew, db.StateInformative)
		mustMove(t, d, spam.ReportID, db.StateNew, db.StateSpam)
		if err := d.SetRetentionRule(ctx, &db.RetentionRule{ProgramID: p.ID, AnonymiseDays: 1, SpamDeleteDays: 1}, db.ActorSystem); err != nil {
			t.Fatal(err)
		}
		clk.Advance(49 * time.Hour)
		anonymised, _ := d.StartStatusSession(ctx, rc.Code, "")
		deleted, _ := d.StartStatusSession(ctx, spam.Code, "")
		opens(t, d, anonymised, rc.ReportID)
		res, err := d.Purge(ctx, false, nil)
		if err != nil || res.Done[db.DisposeAnonymise] != 1 || res.Done[db.DisposeDelete] != 1 {
			t.Fatalf("purge: %+v, %v", res, err)
		}
		refused(t, d, anonymised, "a session of an anonymised report")
		refused(t, d, deleted, "a session of a deleted report")
		if n := countRows(t, d, `SELECT COUNT(*) FROM status_sessions`); n != 0 {
			t.Fatalf("%d status sessions left after the reports went", n)
		}
	})
}
