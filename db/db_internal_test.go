package db

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestSearchIndexIsCompleteAtCommit checks migration 0010: new reports are
// indexed as their transaction commits, and a report changed or deleted in
// the transaction that created it leaves the index consistent (FTS5's own
// integrity check compares the index with the reports table).
func TestSearchIndexIsCompleteAtCommit(t *testing.T) {
	ctx := context.Background()
	d := openInternal(t)
	p, _ := d.DefaultProgram(ctx)
	found := func(word string) []int64 {
		t.Helper()
		ids, err := d.SearchReports(ctx, word, 10)
		if err != nil {
			t.Fatal(err)
		}
		return ids
	}
	intact := func() {
		t.Helper()
		if _, err := d.write.ExecContext(ctx, `INSERT INTO reports_fts (reports_fts, rank) VALUES ('integrity-check', 1)`); err != nil {
			t.Fatalf("search index does not match the reports: %v", err)
		}
		var pending int
		d.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM reports_fts_pending`).Scan(&pending)
		if pending != 0 {
			t.Fatalf("%d reports left unindexed after commit", pending)
		}
	}

	rc, err := d.CreateReport(ctx, &NewReport{ProgramID: p.ID, Source: SourceWeb, Title: "alphaword in the login form", Description: "d"})
	if err != nil {
		t.Fatal(err)
	}
	if got := found("alphaword"); !slices.Equal(got, []int64{rc.ReportID}) {
		t.Fatalf("a report is not searchable once CreateReport returned: %v", got)
	}
	intact()

	// Created, retitled and created-then-deleted in one transaction.
	var edited *Receipt
	if err := d.Update(ctx, func(ctx context.Context, tx *Tx) error {
		in := &NewReport{ProgramID: p.ID, Source: SourceWeb, Title: "betaword", Description: "d"}
		in.Validate(DefaultLimits)
		var err error
		if edited, err = tx.createReport(ctx, in, []byte("receipt-1")); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE reports SET title = 'gammaword' WHERE id = ?`, edited.ReportID); err != nil {
			return err
		}
		in = &NewReport{ProgramID: p.ID, Source: SourceWeb, Title: "deltaword", Description: "d"}
		in.Validate(DefaultLimits)
		gone, err := tx.createReport(ctx, in, []byte("receipt-2"))
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM reports WHERE id = ?`, gone.ReportID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if got := found("betaword"); len(got) != 0 {
		t.Errorf("the title before the edit is still found: %v", got)
	}
	if got := found("gammaword"); !slices.Equal(got, []int64{edited.ReportID}) {
		t.Errorf("the edited title is not found: %v", got)
	}
	if got := found("deltaword"); len(got) != 0 {
		t.Errorf("a deleted report is still found: %v", got)
	}
	intact()

	// A committed report edited later, then deleted.
	if _, err := d.write.ExecContext(ctx, `UPDATE reports SET title = 'epsilonword' WHERE id = ?`, rc.ReportID); err != nil {
		t.Fatal(err)
	}
	if got := found("alphaword"); len(got) != 0 {
		t.Errorf("the old title is still found: %v", got)
	}
	if got := found("epsilonword"); !slices.Equal(got, []int64{rc.ReportID}) {
		t.Errorf("the new title is not found: %v", got)
	}
	intact()
	if _, err := d.write.ExecContext(ctx, `DELETE FROM reports WHERE id = ?`, rc.ReportID); err != nil {
		t.Fatal(err)
	}
	if got := found("epsilonword"); len(got) != 0 {
		t.Errorf("a deleted report is still found: %v", got)
	}
	intact()

	// A rolled-back report leaves nothing behind.
	errUndo := errors.New("undo")
	if err := d.Update(ctx, func(ctx context.Context, tx *Tx) error {
		in := &NewReport{ProgramID: p.ID, Source: SourceWeb, Title: "zetaword", Description: "d"}
		in.Validate(DefaultLimits)
		if _, err := tx.createReport(ctx, in, []byte("receipt-3")); err != nil {
			return err
		}
		return errUndo
	}); err != errUndo {
		t.Fatalf("err = %v, want the job's own", err)
	}
	if got := found("zetaword"); len(got) != 0 {
		t.Errorf("a rolled-back report is found: %v", got)
	}
	intact()
}

// The write connection keeps statement journals in memory (writerDriver):
// a connection the pool opens again must get the setting too.
func TestWriterTempStoreInMemory(t *testing.T) {
	ctx := context.Background()
	d := openInternal(t)
	for range 2 {
		var mode int
		if err := d.write.QueryRowContext(ctx, `PRAGMA temp_store`).Scan(&mode); err != nil {
			t.Fatal(err)
		}
		if mode != 2 {
			t.Fatalf("write connection temp_store = %d, want 2 (memory)", mode)
		}
		// Make the pool open a new connection for the second round.
		d.write.SetMaxIdleConns(0)
		d.write.SetMaxIdleConns(1)
	}
}

// Programs is served from memory: a program saved here is listed at once,
// a change made by another process within programsTTL, and a caller
// changing its copy changes nothing for the next.
func TestProgramsCache(t *testing.T) {
	ctx := context.Background()
	d := openInternal(t)
	now := time.Now().UTC()
	d.Now = func() time.Time { return now }
	names := func() []string {
		t.Helper()
		ps, err := d.Programs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, p := range ps {
			out = append(out, p.Name)
		}
		ps[0].Name = "changed by a caller"
		return out
	}
	if got := names(); !slices.Equal(got, []string{"Security"}) {
		t.Fatalf("programs = %v", got)
	}
	if _, err := d.SaveProgram(ctx, &Program{Slug: "web", Name: "Web", Prefix: "WEB", FirstResponseDays: 3, TriageDays: 10,
		ResolveCriticalDays: 7, ResolveHighDays: 30, ResolveMediumDays: 90, ResolveLowDays: 180, DisclosureDays: 90}, nil, Actor{Name: "test"}); err != nil {
		t.Fatal(err)
	}
	if got := names(); !slices.Equal(got, []string{"Security", "Web"}) {
		t.Fatalf("after SaveProgram, programs = %v", got)
	}
	other, err := sql.Open("sqlite3", d.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.Exec(`UPDATE programs SET name = 'Web platform' WHERE slug = 'web'`); err != nil {
		t.Fatal(err)
	}
	if got := names(); !slices.Equal(got, []string{"Security", "Web"}) {
		t.Fatalf("within the TTL, programs = %v", got)
	}
	now = now.Add(programsTTL)
	if got := names(); !slices.Equal(got, []string{"Security", "Web platform"}) {
		t.Fatalf("after the TTL, programs = %v", got)
	}
}

// Form keys sort by the time they were made, are 32 hex digits (what the
// form handler accepts) and differ even when made in the same millisecond.
func TestNewSubmissionKey(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC)
	seen := map[string]bool{}
	prev := ""
	for i := range 1000 {
		k, err := NewSubmissionKey(t0.Add(time.Duration(i/10) * time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := hex.DecodeString(k); err != nil || len(k) != 32 {
			t.Fatalf("key %q is not 32 hex digits", k)
		}
		if seen[k] {
			t.Fatalf("key %q made twice", k)
		}
		seen[k] = true
		if i%10 == 0 && k[:12] <= prev {
			t.Fatalf("key %q made later sorts before %q", k, prev)
		}
		prev = k[:12]
	}
}

// openInternal opens a new database in a temporary directory for a test of
// unexported parts, closed when the test ends.
func openInternal(t testing.TB) *DB {
	t.Helper()
	d, err := Open(context.Background(), filepath.Join(t.TempDir(), "d.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}
