package db_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/disclose/disclose/db"
)

// The planner has statistics without anyone running ANALYZE: Open runs
// PRAGMA optimize after the migrations, so a database that grew gets them
// at the next start, and Optimize (serve's hourly worker) refreshes them.
func TestOpenGathersStatistics(t *testing.T) {
	ctx := context.Background()
	d := MustOpenDB(t)
	p, _ := d.DefaultProgram(ctx)
	for range 30 {
		in := validReport(p.ID)
		in.Attachments = nil
		if _, err := d.CreateReport(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	path := d.Path
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	// Close runs it too: remove what it gathered to see Open's.
	raw, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`DELETE FROM sqlite_stat1`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	d, err = db.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var n int
	if err := d.QueryRowForTest(ctx, `SELECT COUNT(*) FROM sqlite_stat1 WHERE tbl = 'reports'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("no statistics for reports after Open")
	}
	// The database grows tenfold while it serves: Optimize sees the
	// statistics are stale and gathers them again.
	for range 400 {
		in := validReport(p.ID)
		in.Attachments = nil
		if _, err := d.CreateReport(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Optimize(ctx); err != nil {
		t.Fatal(err)
	}
	var rows int
	if err := d.QueryRowForTest(ctx, `SELECT CAST(stat AS INTEGER) FROM sqlite_stat1 WHERE tbl = 'reports' AND idx = 'reports_state_id'`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows < 400 {
		t.Fatalf("statistics say reports has %d rows after Optimize, want 430", rows)
	}
}
