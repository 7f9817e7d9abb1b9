package db_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
)

// TestAuditBackfillMovedProgram: a program of the sibling has a report,
// then moves to the client, then gets another report, all before
// migration 0033. The upgrade cannot know where the program was when a row
// was written by looking at today: rows about the program from before its
// move stay the site admin's (neither the client, who did not do that
// work, nor the sibling); the move itself is on both pages and what came
// after it on the client's.
func TestAuditBackfillMovedProgram(t *testing.T) {
	ctx := context.Background()
	f := newOrgFixture(t)
	d := f.DB
	report := func() string {
		t.Helper()
		rc, err := d.CreateReport(ctx, &db.NewReport{ProgramID: f.PSibling.ID, Source: db.SourceWeb, Title: "t", Description: "d",
			Reporter: db.Reporter{Email: "r@example.net"}})
		if err != nil {
			t.Fatal(err)
		}
		return rc.Ref
	}
	before := report()
	if _, err := d.MoveProgram(ctx, f.PSibling.ID, f.Client.Slug, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	after := report()
	if err := d.Update(ctx, func(ctx context.Context, tx *db.Tx) error {
		for _, q := range []string{`DELETE FROM audit_orgs`, `DROP TRIGGER outbox_orgs_status`, `DROP TABLE outbox_orgs`, `DROP TABLE audit_backfill`,
			`DELETE FROM row_counts WHERE tbl LIKE 'outbox.org:%'`, `DELETE FROM migrations WHERE name = 'migrations/0036_org_outbox.sql'`,
			`UPDATE migrations SET applied_at = '9999-01-01T00:00:00.000000Z' WHERE name = 'migrations/0033_audit_orgs.sql'`} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("%s: %w", q, err)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	d2, err := db.Open(ctx, d.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	page := func(org int64) string {
		t.Helper()
		p, err := d2.ListAudit(ctx, db.AuditFilter{Org: org, Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, e := range p.Entries {
			fmt.Fprintf(&b, "%s %s %s\n", e.Action, e.Target, e.Detail)
		}
		return b.String()
	}
	client, sibling, site := page(f.Client.ID), page(f.Sibling.ID), page(0)
	if strings.Contains(client, before) {
		t.Errorf("the upgrade filed the sibling-era history of %s under the client, where the program is now:\n%s", before, client)
	}
	if strings.Contains(sibling, before) || !strings.Contains(site, before) {
		t.Errorf("the history of %s from before the move is not the site admin's alone:\nsibling:\n%s\nsite:\n%s", before, sibling, site)
	}
	if !strings.Contains(client, after) || strings.Contains(sibling, after) {
		t.Errorf("%s, written after the move, is not the client's alone:\nclient:\n%s\nsibling:\n%s", after, client, sibling)
	}
	if !strings.Contains(client, "program.move") || !strings.Contains(sibling, "program.move") {
		t.Errorf("the move is not on both organisations' pages:\nclient:\n%s\nsibling:\n%s", client, sibling)
	}
}
