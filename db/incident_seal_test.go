package db_test

import (
	"context"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
)

// TestSealExistingIncidents: `disclose seal` converts incidents made before
// the database was sealed (title, checklist, the copy of a sent
// notification) and leaves no plaintext of them in the file; unseal brings
// them back.
func TestSealExistingIncidents(t *testing.T) {
	ctx := context.Background()
	f := newIncidentFixture(t)
	const marker = "qzincidentmarker"
	i := f.open(t, &db.NewIncident{Title: marker + " title", Presets: []string{"cert-in"}, AwareAt: f.clk.t, AwareSource: "a call"})
	if err := f.EditIncident(ctx, i.ID, i.Version, staffActor, db.IncidentEdit{Title: i.Title, Severity: "high", PersonalData: "yes",
		Checklist: db.Checklist{Scope: marker + " scope"}}); err != nil {
		t.Fatal(err)
	}
	obs, _ := f.Obligations(ctx, i.ID)
	if err := f.SetObligation(ctx, i.ID, i.Version+1, obs[0].ID, db.ObligationUpdate{State: "sent", SentAt: f.clk.t, SentTo: "CERT-In",
		SentCopy: marker + " copy"}, staffActor); err != nil {
		t.Fatal(err)
	}
	if !fileHas(t, f.DB, marker) {
		t.Fatal("the plaintext database does not hold the marker: the check below could not fail")
	}
	key := newTeamKey(t)
	key.Lock()
	f.SetSealer(key, true)
	// Plaintext incidents keep the database from being marked sealed
	// (serve --seal), as plaintext reports do.
	if err := f.MarkSealed(ctx); db.ErrorCode(err) != db.ECONFLICT || !strings.Contains(db.ErrorMessage(err), "2 incident texts") {
		t.Fatalf("mark sealed with a plaintext incident and copy: %v", err)
	}
	if err := f.SealExisting(ctx, nil); err != nil {
		t.Fatal(err)
	}
	// disclose seal's count of sealed rows has the incident and the copy.
	if n, err := f.SealedRows(ctx); err != nil || n != 2 {
		t.Fatalf("sealed rows after seal: %d, %v; want 2", n, err)
	}
	if p, err := f.PlainRows(ctx); err != nil || p.Total() != 0 {
		t.Fatalf("plaintext rows after seal: %+v, %v", p, err)
	}
	if fileHas(t, f.DB, marker) {
		t.Fatal("incident plaintext left in the database file or WAL after seal")
	}
	if got, _ := f.IncidentByID(ctx, i.ID); !got.Locked || got.Title != db.SealedText {
		t.Fatalf("locked incident: title %q locked %v", got.Title, got.Locked)
	}
	if err := key.Unlock([]byte(sealPassphrase)); err != nil {
		t.Fatal(err)
	}
	if err := f.UnsealExisting(ctx, nil); err != nil {
		t.Fatal(err)
	}
	key.Lock()
	if n, err := f.SealedRows(ctx); err != nil || n != 0 {
		t.Fatalf("sealed rows after unseal: %d, %v", n, err)
	}
	got, _ := f.IncidentByID(ctx, i.ID)
	obs, _ = f.Obligations(ctx, i.ID)
	if got.Sealed || got.Title != marker+" title" || got.Checklist.Scope != marker+" scope" || obs[0].SentCopy != marker+" copy" {
		t.Fatalf("after unseal: %+v, copy %q", got, obs[0].SentCopy)
	}
}
