package db_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
)

// TestObligationIDsRandom: an obligation's id (in the incident page's
// URLs and forms) is a random ten-digit number, not the next of a
// sequence every organisation shares, and the order of an incident's
// obligations does not depend on it.
func TestObligationIDsRandom(t *testing.T) {
	ctx := context.Background()
	f := newIncidentFixture(t)
	a := f.open(t, &db.NewIncident{Presets: []string{"nis2"}})
	b := f.open(t, &db.NewIncident{OrgID: f.other.ID, Presets: []string{"nis2"}})
	var ids []int64
	for _, i := range []*db.Incident{a, b} {
		obs, err := f.Obligations(ctx, i.ID)
		if err != nil {
			t.Fatal(err)
		}
		var stages []string
		for _, o := range obs {
			ids = append(ids, o.ID)
			stages = append(stages, o.Stage)
			if o.ID < 1_000_000_000 || o.ID >= 10_000_000_000 {
				t.Errorf("obligation %s/%s has id %d, want ten random digits", o.Preset.Preset, o.Stage, o.ID)
			}
		}
		if len(stages) != 3 || stages[0] != "early-warning" || stages[1] != "notification" || stages[2] != "final-report" {
			t.Errorf("stages in order %v", stages)
		}
	}
	for k := 1; k < len(ids); k++ {
		if ids[k] == ids[k-1]+1 {
			t.Errorf("obligation ids %v count up", ids)
		}
	}
}

// TestObligationIDsMigration: migration 0035 gives the obligations of an
// older database random ids, keeps their order in seq, and moves the
// alerts already told with them (so no point is told again).
func TestObligationIDsMigration(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "disclose.db")
	d, err := db.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Date(2026, 3, 28, 9, 0, 0, 0, time.UTC)}
	d.Now = clk.Now
	i, err := d.CreateIncident(ctx, &db.NewIncident{OrgID: db.DefaultOrgID, Title: "Breach", Severity: "high", AwareAt: clk.t.Add(-7 * time.Hour),
		AwareSource: "a call", Presets: []string{"cert-in", "nis2"}}, staffActor)
	if err != nil {
		t.Fatal(err)
	}
	compose := func(*db.ClockAlert, db.AlertRecipient) *db.OutMail { return nil }
	if n, err := d.IncidentClockAlerts(ctx, compose); err != nil || n != 1 { // cert-in overdue
		t.Fatalf("alerts: %d, %v", n, err)
	}
	// Back to the database as 0034 left it: ids 1..N in creation order, no
	// seq, no webhook columns, 0035 not applied.
	if err := d.Update(ctx, func(ctx context.Context, tx *db.Tx) error {
		for _, q := range []string{`PRAGMA defer_foreign_keys = ON`,
			`UPDATE incident_alerts SET obligation_id = (SELECT seq FROM incident_obligations WHERE id = obligation_id)`,
			`UPDATE incident_obligations SET id = seq`, `DROP INDEX incident_obligations_seq`,
			`ALTER TABLE incident_obligations DROP COLUMN seq`, `ALTER TABLE webhook_deliveries DROP COLUMN obligation`,
			`ALTER TABLE webhook_deliveries DROP COLUMN point`, `ALTER TABLE webhook_deliveries DROP COLUMN due_at`,
			`DELETE FROM migrations WHERE name LIKE '%0035_%'`} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	d.Close()
	if d, err = db.Open(ctx, path); err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	d.Now = clk.Now
	obs, err := d.Obligations(ctx, i.ID)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, o := range obs {
		order = append(order, o.Preset.Preset+"/"+o.Stage)
		if o.ID < 1_000_000_000 {
			t.Errorf("after 0035 obligation %s/%s has id %d", o.Preset.Preset, o.Stage, o.ID)
		}
	}
	if len(order) != 4 || order[0] != "cert-in/report" || order[1] != "nis2/early-warning" {
		t.Errorf("order after 0035: %v", order)
	}
	if n, err := d.IncidentClockAlerts(ctx, compose); err != nil || n != 0 {
		t.Errorf("alerts after 0035: %d, %v; want 0 (already told)", n, err)
	}
	f := &incidentFixture{DB: d, clk: clk}
	j := f.open(t, &db.NewIncident{OrgID: db.DefaultOrgID, Presets: []string{"cert-in"}})
	if _, err := d.Obligations(ctx, j.ID); err != nil {
		t.Fatal(err)
	}
}
