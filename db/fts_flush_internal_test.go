package db

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
)

// TestIndexInsertsKeepsDeletesSecure: new reports' terms are flushed to
// the search index with FTS5's secure-delete off (fts_flush.go). A
// transaction that also changes an older report's text must still remove
// the old words from the index segments: were they flushed with
// secure-delete off, they would stay readable in the file until a merge.
// Checks that secure-delete is on again after the commit.
func TestIndexInsertsKeepsDeletesSecure(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "d.db")
	d, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	p, err := d.DefaultProgram(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// No automatic merges: a merge would drop the old words in any case,
	// where a live portal's large segments keep them for a long time.
	err = d.Update(ctx, func(ctx context.Context, tx *Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO reports_fts (reports_fts, rank) VALUES ('automerge', 0)`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	const marker = "quokkareplacedxq"
	report := func(desc string) *NewReport {
		return &NewReport{ProgramID: p.ID, Source: SourceWeb, Title: "Overflow in upload", Asset: "www.example.org",
			Description: desc, Steps: "1. Upload", Impact: "Crash",
			Reporter: Reporter{Name: "alice", Email: "alice@example.org", Credit: CreditHandle}}
	}
	old, err := d.CreateReport(ctx, report("The parser trusts the header "+marker))
	if err != nil {
		t.Fatal(err)
	}
	for range 5 { // more index segments, as a live portal has
		if _, err := d.CreateReport(ctx, report("The parser trusts the length header.")); err != nil {
			t.Fatal(err)
		}
	}
	long := bytes.Repeat([]byte("the parser of the upload endpoint trusts the length header "), 100)
	err = d.Update(ctx, func(ctx context.Context, tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE reports SET description = 'Edited.' WHERE id = ?`, old.ReportID); err != nil {
			return err
		}
		_, err := tx.createReport(ctx, report(string(long)), nil)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var on string
	if err := d.read.QueryRowContext(ctx, `SELECT v FROM reports_fts_config WHERE k = 'secure-delete'`).Scan(&on); err != nil || on != "1" {
		t.Fatalf("secure-delete after the commit: %q, %v; want 1", on, err)
	}
	var n int
	if err := d.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM reports_fts WHERE reports_fts MATCH 'endpoint'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("the new report is found %d times, %v; want once", n, err)
	}
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
	if bytes.Contains(file, []byte(marker)) {
		t.Errorf("the replaced word %q is still in the database file", marker)
	}
}
