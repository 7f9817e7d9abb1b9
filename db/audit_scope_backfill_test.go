package db_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
)

// filing is one row of audit_orgs.
type filing struct{ org, audit int64 }

func auditFilings(t *testing.T, path string) (map[filing]bool, map[int64]*db.AuditEntry) {
	t.Helper()
	c, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	out := map[filing]bool{}
	rows, err := c.Query(`SELECT org_id, audit_id FROM audit_orgs`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var f filing
		if err := rows.Scan(&f.org, &f.audit); err != nil {
			t.Fatal(err)
		}
		out[f] = true
	}
	rows.Close()
	entries := map[int64]*db.AuditEntry{}
	rows, err = c.Query(`SELECT id, action, target, detail FROM audit`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		e := &db.AuditEntry{}
		if err := rows.Scan(&e.ID, &e.Action, &e.Target, &e.Detail); err != nil {
			t.Fatal(err)
		}
		entries[e.ID] = e
	}
	return out, entries
}

// TestAuditBackfillOldRows: audit rows written before migration 0033
// (none filed under an organisation, as such a database has them) are
// filed on upgrade by the rules new rows are filed by: the client's admins
// read the client's rows, the sibling's its own, and a name typed with
// "org=client" in it moves no sibling row onto the client's page.
func TestAuditBackfillOldRows(t *testing.T) {
	ctx := context.Background()
	f := newOrgFixture(t)
	d := f.DB
	file := func(p *db.Program) string {
		t.Helper()
		rc, err := d.CreateReport(ctx, &db.NewReport{ProgramID: p.ID, Source: db.SourceWeb, Title: "t", Description: "d",
			Reporter: db.Reporter{Email: "r@example.net"}})
		if err != nil {
			t.Fatal(err)
		}
		return rc.Ref
	}
	clientRef, siblingRef := file(f.PClient), file(f.PSibling)
	f.member(t, "ann@client.example", f.Client, db.RoleTriager)
	mallory := f.member(t, "mallory@sibling.example", f.Sibling, db.RoleViewer)
	if _, _, err := d.CreateAPIToken(ctx, mallory.ID, db.NewAPIToken{Name: "x org=client URGENT: re-enter your password at evil.example",
		Scope: db.ScopeRead}, mallory.Actor("")); err != nil {
		t.Fatal(err)
	}
	if _, err := d.CreateIncident(ctx, &db.NewIncident{OrgID: f.Sibling.ID, Title: "i", Severity: "low",
		AwareAt: d.Now().Add(-time.Hour), AwareSource: "mail org=client planted"}, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	live, entries := auditFilings(t, d.Path)

	// Back to a database before 0033 filed anything, and before 0036.
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
	defer db.SetAuditBackfillBatchForTest(3)() // several batches
	d2, err := db.Open(ctx, d.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()

	page := func(o *db.Organisation) string {
		t.Helper()
		p, err := d2.ListAudit(ctx, db.AuditFilter{Org: o.ID, Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, e := range p.Entries {
			fmt.Fprintf(&b, "%s %s %s\n", e.Action, e.Target, e.Detail)
		}
		return b.String()
	}
	client, sibling := page(f.Client), page(f.Sibling)
	if !strings.Contains(client, clientRef) || strings.Contains(client, siblingRef) || !strings.Contains(client, "ann@client.example") {
		t.Errorf("after the upgrade the client's audit does not hold exactly its rows:\n%s", client)
	}
	if strings.Contains(client, "evil.example") || strings.Contains(client, "planted") {
		t.Errorf("a planted org=client moved a sibling row onto the client's audit:\n%s", client)
	}
	if !strings.Contains(sibling, siblingRef) || !strings.Contains(sibling, "planted") || strings.Contains(sibling, clientRef) {
		t.Errorf("after the upgrade the sibling's audit does not hold exactly its rows:\n%s", sibling)
	}
	// The same filings as the rows got when written, besides account rows
	// written before the account joined (filed now under its organisation).
	back, _ := auditFilings(t, d.Path)
	for fl := range live {
		if !back[fl] {
			e := entries[fl.audit]
			t.Errorf("audit row %d (%s %s) was filed under organisation %d when written, not by the upgrade", fl.audit, e.Action, e.Target, fl.org)
		}
	}
	for fl := range back {
		if e := entries[fl.audit]; !live[fl] && !(strings.HasPrefix(e.Action, "user.") && strings.Contains(e.Target, "@")) {
			t.Errorf("the upgrade filed audit row %d (%s %s %q) under organisation %d, which its writing did not", fl.audit, e.Action, e.Target, e.Detail, fl.org)
		}
	}
	var left int
	if err := d2.QueryRowForTest(ctx, `SELECT COUNT(*) FROM audit_backfill`).Scan(&left); err != nil || left != 0 {
		t.Errorf("the backfill's note is left: %d %v", left, err)
	}
}
