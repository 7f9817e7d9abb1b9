package db_test

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin"
)

// TestUpgradedDigestsGoWithTheirReports: migration 0016 created
// outbox_mentions empty, and nothing filled it for the digests already in
// the outbox, so on an upgraded database a digest that quotes a report's
// title survived its anonymisation. Migration 0019 finds the reports such
// a digest names in its text.
func TestUpgradedDigestsGoWithTheirReports(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "disclose.db")
	clk := &clock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	open := func() *db.DB {
		t.Helper()
		d, err := db.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		d.Now = clk.Now
		return d
	}
	d := open()
	md := newMailDB(t, d, &mailin.Notifier{BaseURL: &url.URL{Scheme: "https", Host: "portal.example.org"}, Domain: "portal.example.org",
		ReplyAddress: "security@example.org"})
	p, _ := d.DefaultProgram(ctx)
	var ids []int64
	report := func(title string) {
		t.Helper()
		in := validReport(p.ID)
		in.Title = title
		rc, err := d.CreateReport(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, rc.ReportID)
		md.drain() // as serve's event worker does right after the commit
	}
	for i := 1; i <= 9; i++ { // SEC-1 .. SEC-9, before the member chose a digest
		report("Earlier report")
	}
	uid, err := d.AddStaffForTest(ctx, "digest@example.org", "Digest", db.RoleTriager, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.SetNotifyPrefs(ctx, &db.NotifyPrefs{UserID: uid, Mode: db.NotifyDigest, IncludeTitle: true}, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	const title = "Wombat title of SEC-10"
	report(title)            // SEC-10
	report("Another report") // SEC-11
	clk.Advance(25 * time.Hour)
	if sent, err := md.SendDigests(ctx, 24*time.Hour); err != nil || sent != 1 {
		t.Fatalf("digests sent %d, %v", sent, err)
	}
	// Back to the database as a version before 0016 left it (no mentions)
	// and before 0019.
	if err := d.Update(ctx, func(ctx context.Context, tx *db.Tx) error {
		undo := []string{`DELETE FROM outbox_mentions`, `DROP TABLE IF EXISTS login_decoys`, `DELETE FROM migrations WHERE name LIKE '%0019_%'`}
		var col int
		if err := tx.QueryRow(`SELECT COUNT(*) FROM pragma_table_info('sessions') WHERE name = 'reauth_failures'`).Scan(&col); err != nil {
			return err
		} else if col == 1 {
			undo = append(undo, `ALTER TABLE sessions DROP COLUMN reauth_failures`)
		}
		for _, q := range undo {
			if _, err := tx.Exec(q); err != nil {
				return fmt.Errorf("%s: %w", q, err)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	d.Close()
	d = open()
	defer d.Close()

	digest := func() string {
		t.Helper()
		mails, err := d.Mails(ctx, "", 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range mails {
			if m.To == "digest@example.org" {
				return m.Body
			}
		}
		return ""
	}
	if !strings.Contains(digest(), title) {
		t.Fatalf("the digest does not quote SEC-10's title:\n%s", digest())
	}
	if err := d.SetRetentionRule(ctx, &db.RetentionRule{ProgramID: p.ID, AnonymiseDays: 30}, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	anonymise := func(id int64) {
		t.Helper()
		mustMove(t, d, id, db.StateNew, db.StateInformative)
		clk.Advance(40 * day)
		if res, err := d.Purge(ctx, false, nil); err != nil || res.Done[db.DisposeAnonymise] != 1 {
			t.Fatalf("purge %+v, %v", res, err)
		}
	}
	anonymise(ids[0]) // SEC-1: the digest names SEC-10 and SEC-11, not SEC-1
	if digest() == "" {
		t.Error("anonymising SEC-1 took a digest that names SEC-10 and SEC-11 only")
	}
	anonymise(ids[9]) // SEC-10
	if body := digest(); body != "" {
		t.Errorf("after SEC-10 was anonymised, a digest queued before the upgrade still quotes it:\n%s", body)
	}
	if fileHas(t, d, title) {
		t.Errorf("%q is still in the database file", title)
	}
}
