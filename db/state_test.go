package db_test

import (
	"testing"

	"github.com/disclose/disclose/db"
)

// TestTransitions checks every (from, to) pair against the table as the
// product describes it, so a change to the table is a deliberate one.
func TestTransitions(t *testing.T) {
	closed := []db.State{db.StateDuplicate, db.StateInformative, db.StateNotApplicable, db.StateOutOfScope, db.StateSpam, db.StateWontFix}
	allowed := map[db.State][]db.State{
		db.StateNew:       append([]db.State{db.StateTriaged, db.StateNeedsInfo}, closed...),
		db.StateTriaged:   append([]db.State{db.StateNeedsInfo, db.StateResolved}, closed...),
		db.StateNeedsInfo: append([]db.State{db.StateNew, db.StateTriaged, db.StateResolved}, closed...),
		db.StateResolved:  {db.StateTriaged, db.StateNeedsInfo, db.StateDisclosed},
		db.StateDisclosed: nil,
	}
	for _, c := range closed {
		allowed[c] = []db.State{db.StateNew, db.StateTriaged}
	}
	if len(db.States) != 11 {
		t.Fatalf("%d states, want 11", len(db.States))
	}
	for _, from := range db.States {
		want := map[db.State]bool{}
		for _, to := range allowed[from] {
			want[to] = true
		}
		for _, to := range append(db.States, "bogus") {
			if got := from.CanMoveTo(to); got != want[to] {
				t.Errorf("%s -> %s: allowed=%v, want %v", from, to, got, want[to])
			}
		}
		if got, want := from.Closed(), contains(closed, from); got != want {
			t.Errorf("%s closed=%v, want %v", from, got, want)
		}
	}
}

func contains(list []db.State, s db.State) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
