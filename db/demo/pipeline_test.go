package demo_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/db/demo"
)

// TestDemoRefusesADatabaseChangedMeanwhile: the generator numbers its rows
// ahead of the writer; a report another writer adds between two batches
// makes the next batch fail with a clear error, not write rows over the
// ids it took.
func TestDemoRefusesADatabaseChangedMeanwhile(t *testing.T) {
	ctx := context.Background()
	d, err := db.Open(ctx, filepath.Join(t.TempDir(), "disclose.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	p, err := d.DefaultProgram(ctx)
	if err != nil {
		t.Fatal(err)
	}
	added := false
	_, err = demo.Generate(ctx, d, demo.Options{Reports: 12000, Seed: 1, Progress: func(done, total int) {
		if !added {
			added = true
			if _, err := d.CreateReport(ctx, &db.NewReport{ProgramID: p.ID, Source: db.SourceWeb, Title: "Meanwhile", Description: "d"}); err != nil {
				t.Error(err)
			}
		}
	}})
	if err == nil || !strings.Contains(err.Error(), "changed while demo ran") {
		t.Fatalf("got %v, want the database changed while demo ran", err)
	}
}

// TestDemoCancelled: a demo cancelled between batches stops with the
// context's error and leaves the schema whole (the indexes it took out are
// back), with the batches written so far.
func TestDemoCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d, err := db.Open(ctx, filepath.Join(t.TempDir(), "disclose.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	_, err = demo.Generate(ctx, d, demo.Options{Reports: 20000, Seed: 1, Progress: func(done, total int) { cancel() }})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	var reports, indexes int
	err = d.Update(context.Background(), func(ctx context.Context, tx *db.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM reports`).Scan(&reports); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'reports' AND name = 'reports_state_rank'`).Scan(&indexes)
	})
	if err != nil {
		t.Fatal(err)
	}
	if reports != 5000 || indexes != 1 {
		t.Fatalf("%d reports and %d of the dropped index after the cancel, want 5000 and 1", reports, indexes)
	}
}
