package db_test

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
)

// TestPurgeLeavesNoRemnants: retention promises that a deleted or
// anonymised report is gone. SQLite leaves deleted rows in free pages and
// FTS5 keeps deleted terms in its index segments until a merge, so the
// report text and attachments stayed readable in the database file (and
// in every backup made from it) with a hex editor.
func TestPurgeLeavesNoRemnants(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "disclose.db")
	d, err := db.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	clk := &clock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	d.Now = clk.Now
	p, _ := d.DefaultProgram(ctx)
	if err := d.SetRetentionRule(ctx, &db.RetentionRule{ProgramID: p.ID, AnonymiseDays: 30, SpamDeleteDays: 7}, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	markers := map[string]string{
		"deleted description":   "quokkaspamdescxq",
		"deleted attachment":    "quokkaspamattachxq",
		"anonymised text":       "wombatanonstepsxq",
		"anonymised reply":      "wombatfollowupxq",
		"anonymised attachment": "wombatattachxq",
	}
	spam := validReport(p.ID)
	spam.Description = "Buy pills " + markers["deleted description"]
	spam.Attachments = []db.NewAttachment{{Filename: "a.txt", Data: bytes.Repeat([]byte(markers["deleted attachment"]+" "), 50)}}
	rs, err := d.CreateReport(ctx, spam)
	if err != nil {
		t.Fatal(err)
	}
	closed := validReport(p.ID)
	closed.Steps = "1. " + markers["anonymised text"]
	closed.Attachments = []db.NewAttachment{{Filename: "b.txt", Data: bytes.Repeat([]byte(markers["anonymised attachment"]+" "), 50)}}
	rc, err := d.CreateReport(ctx, closed)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.AddReporterMessage(ctx, rc.ReportID, "also "+markers["anonymised reply"], nil, db.SourceWeb, db.DefaultLimits); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 50; i++ { // more index segments, as a live portal has
		if _, err := d.CreateReport(ctx, validReport(p.ID)); err != nil {
			t.Fatal(err)
		}
	}
	mustMove(t, d, rs.ReportID, db.StateNew, db.StateSpam)
	mustMove(t, d, rc.ReportID, db.StateNew, db.StateInformative)
	clk.Advance(40 * day)
	res, err := d.Purge(ctx, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Done[db.DisposeDelete] != 1 || res.Done[db.DisposeAnonymise] != 1 {
		t.Fatalf("purge did %v, want one deletion and one anonymisation", res.Done)
	}
	// What a later reader of the file (or of a backup) sees.
	raw, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
	file, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for what, m := range markers {
		if bytes.Contains(file, []byte(m)) {
			t.Errorf("the %s (%q) is still in the database file", what, m)
		}
	}
}
