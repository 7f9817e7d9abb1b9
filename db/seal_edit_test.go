package db_test

import (
	"context"
	"testing"

	"github.com/disclose/disclose/db"
)

// TestSealedEdits: a triager's edits and close reason of a sealed report are
// stored sealed; editing text needs the unlocked key, changing state does not.
func TestSealedEdits(t *testing.T) {
	ctx := context.Background()
	f := newTriageFixture(t)
	key := newTeamKey(t)
	f.DB.SetSealer(key, true)
	r := f.report(t, f.P1.ID, "Sealed edit report", "Some description.")
	const marker = "qzeditmarker"

	t.Run("OK", func(t *testing.T) {
		in := db.FieldEdit{Asset: marker + ".example.org", CWE: r.CWE, Credit: "credit " + marker}
		if err := f.DB.EditFields(ctx, r.ID, r.Version, f.Actor, in); err != nil {
			t.Fatal(err)
		}
		r = f.fresh(t, r.ID)
		if got, want := r.Asset, marker+".example.org"; got != want {
			t.Fatalf("asset = %q, want %q", got, want)
		}
		d, err := f.DB.Details(ctx, r.ID)
		if err != nil || d.Credit != "credit "+marker {
			t.Fatalf("credit = %q, %v", d.Credit, err)
		}
		if err := f.DB.Checkpoint(ctx); err != nil {
			t.Fatal(err)
		}
		if fileHas(t, f.DB, marker) {
			t.Fatal("an edited field was stored in clear")
		}
	})
	t.Run("ErrLocked", func(t *testing.T) {
		key.Lock()
		r = f.fresh(t, r.ID)
		in := db.FieldEdit{Asset: "other.example.org", CWE: r.CWE}
		if err := f.DB.EditFields(ctx, r.ID, r.Version, f.Actor, in); db.ErrorCode(err) != db.ECONFLICT {
			t.Fatalf("edit while locked: %v, want conflict", err)
		}
		// Closing needs no plaintext: the reason is sealed with the public key.
		if err := f.DB.ChangeState(ctx, r.ID, r.Version, f.Actor, db.StateChange{To: db.StateInformative, Reason: "reason " + marker}); err != nil {
			t.Fatal(err)
		}
		if err := f.DB.Checkpoint(ctx); err != nil {
			t.Fatal(err)
		}
		if fileHas(t, f.DB, marker) {
			t.Fatal("the close reason was stored in clear")
		}
	})
}
