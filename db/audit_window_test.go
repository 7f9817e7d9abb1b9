package db_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/disclose/disclose/db"
)

// TestAuditSubstringSearchIsWindowed: a search of the audit log for a
// name that only the oldest rows carry reads at most a window of rows per
// page (it read the whole log, 2.8 M rows in the 1M demo) and finds them by
// following Next; a search that fills its page in the window is unchanged.
func TestAuditSubstringSearchIsWindowed(t *testing.T) {
	ctx := context.Background()
	d := MustOpenDB(t)
	const rows = 25_000
	err := d.Update(ctx, func(ctx context.Context, tx *db.Tx) error {
		for i := range rows {
			actor := db.Actor{Name: fmt.Sprintf("staff-%d@example.org", i%7)}
			if i < 3 {
				actor.Name = "rare-ruth@example.org"
			}
			if err := tx.Audit(ctx, actor, "report.note", fmt.Sprintf("WEB-%d", i), ""); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	page, err := d.ListAudit(ctx, db.AuditFilter{Actor: "rare-ruth", Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Entries) != 0 || !page.Window || page.Next == 0 {
		t.Fatalf("first page: %d entries, window %v, next %d; want none, the window reached, a next page", len(page.Entries), page.Window, page.Next)
	}
	var found, pages int
	for f := (db.AuditFilter{Actor: "rare-ruth", Limit: 50}); pages < 10; pages++ {
		p, err := d.ListAudit(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		found += len(p.Entries)
		if p.Next == 0 {
			break
		}
		f.Before = p.Next
	}
	if found != 3 || pages != 2 {
		t.Fatalf("followed next: %d entries in %d pages, want 3 in 3", found, pages+1)
	}
	// A common name fills its page inside the window.
	page, err = d.ListAudit(ctx, db.AuditFilter{Actor: "staff-3", Limit: 50})
	if err != nil || len(page.Entries) != 50 || page.Window {
		t.Fatalf("common name: %d entries, window %v (%v)", len(page.Entries), page.Window, err)
	}
}
