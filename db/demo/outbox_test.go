package demo_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/db/demo"
)

// TestDemoMailInOrganisationOutboxes: the mail a demo writes is filed under
// its reports' organisations as the portal files the mail it sends
// (outbox_orgs): an organisation's admin sees on their outbox the mail
// about its reports and its child organisations', and no other, and the
// counts of its outbox's filter match (db's TestFileReportMailAsEnqueueMail
// holds the bulk filing to the portal's own).
func TestDemoMailInOrganisationOutboxes(t *testing.T) {
	ctx := context.Background()
	d, err := db.Open(ctx, filepath.Join(t.TempDir(), "disclose.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	d.Now = func() time.Time { return time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC) }
	// A reseller with one client; the client runs the web program, the
	// default organisation the others.
	if _, err := d.CreateOrg(ctx, &db.NewOrg{Slug: "reseller", Name: "Reseller"}, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	client, err := d.CreateOrg(ctx, &db.NewOrg{Slug: "client", Name: "Client", ParentSlug: "reseller"}, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	err = d.Update(ctx, func(ctx context.Context, tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO programs (slug, name, prefix, scope, org_id, created_at, updated_at) VALUES ('web', 'Web', 'WEB', '', ?, '2026-01-01', '2026-01-01')`, client.ID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := demo.Generate(ctx, d, demo.Options{Reports: 600, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	orgs, err := d.Orgs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(orgs) != 3 {
		t.Fatalf("%d organisations, want 3", len(orgs))
	}
	var mails int
	for _, org := range orgs {
		// What the rule files under org: mail about a report of a program of
		// org or of a child of org.
		want := map[int64]string{}
		wantCounts := map[string]int{}
		err := d.Update(ctx, func(ctx context.Context, tx *db.Tx) error {
			rows, err := tx.QueryContext(ctx, `SELECT o.id, o.status FROM outbox o JOIN reports r ON r.id = o.report_id JOIN programs p ON p.id = r.program_id
				JOIN organisations g ON g.id = p.org_id WHERE g.id = ?1 OR g.parent_id = ?1`, org.ID)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var id int64
				var status string
				if err := rows.Scan(&id, &status); err != nil {
					return err
				}
				want[id] = status
				wantCounts[status]++
			}
			return rows.Err()
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := d.OrgMails(ctx, org.ID, "", 100000)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Errorf("organisation %s: its outbox lists %d mails, want %d", org.Slug, len(got), len(want))
		}
		for _, m := range got {
			if _, ok := want[m.ID]; !ok {
				t.Errorf("organisation %s: its outbox lists mail %d (%s), not about one of its reports", org.Slug, m.ID, m.Subject)
			}
		}
		counts, err := d.OrgMailCounts(ctx, org.ID)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(counts) != fmt.Sprint(wantCounts) {
			t.Errorf("organisation %s: outbox counts %v, want %v", org.Slug, counts, wantCounts)
		}
		t.Logf("organisation %s: %d mails %v", org.Slug, len(got), counts)
		mails += len(want)
	}
	if mails < 600 {
		t.Errorf("%d mails filed in all, want at least one per report", mails)
	}
}
