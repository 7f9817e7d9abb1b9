package db_test

import (
	"context"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
)

func TestChangeState(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		f := newTriageFixture(t)
		r := f.report(t, f.P1.ID, "XSS", "desc")
		r = f.mustState(t, r, db.StateTriaged, "")
		if r.State != db.StateTriaged {
			t.Fatalf("state=%q, want triaged", r.State)
		}
		pub, _ := f.DB.Timeline(ctx, r.ID, true)
		if last := pub[len(pub)-1]; last.Event != "state" || last.ToState != db.StateTriaged {
			t.Fatalf("last public entry=%+v, want the state change", last)
		}
		if d, _ := f.DB.Details(ctx, r.ID); d.FirstResponse.IsZero() || d.TriagedAt.IsZero() {
			t.Fatal("a state change by staff did not record first response and triage")
		}
	})
	t.Run("ErrNotAllowed", func(t *testing.T) {
		f := newTriageFixture(t)
		r := f.report(t, f.P1.ID, "XSS", "desc")
		err := f.DB.ChangeState(ctx, r.ID, r.Version, f.Actor, db.StateChange{To: db.StateDisclosed})
		if fieldError(err, "to") == "" {
			t.Fatalf("err=%v, want a refused transition", err)
		}
	})
	t.Run("ErrCloseReasonRequired", func(t *testing.T) {
		f := newTriageFixture(t)
		r := f.report(t, f.P1.ID, "XSS", "desc")
		err := f.DB.ChangeState(ctx, r.ID, r.Version, f.Actor, db.StateChange{To: db.StateSpam})
		if fieldError(err, "reason") == "" {
			t.Fatalf("err=%v, want a reason field error", err)
		}
	})
	t.Run("CloseAndReopen", func(t *testing.T) {
		f := newTriageFixture(t)
		r := f.report(t, f.P1.ID, "XSS", "desc")
		r = f.mustState(t, r, db.StateOutOfScope, "Staging is not in scope.")
		if got, want := r.CloseReason, "Staging is not in scope."; got != want {
			t.Fatalf("close reason=%q, want %q", got, want)
		}
		pub, _ := f.DB.Timeline(ctx, r.ID, true)
		if last := pub[len(pub)-1]; last.Body != "Staging is not in scope." {
			t.Fatalf("the reporter does not see the reason: %+v", last)
		}
		r = f.mustState(t, r, db.StateTriaged, "Reopened: the asset moved to production.")
		if r.State != db.StateTriaged || r.CloseReason != "" {
			t.Fatalf("after reopen state=%q reason=%q, want triaged and no reason", r.State, r.CloseReason)
		}
	})
	t.Run("Duplicate", func(t *testing.T) {
		f := newTriageFixture(t)
		orig := f.report(t, f.P1.ID, "XSS", "desc")
		r := f.report(t, f.P1.ID, "XSS again", "desc")
		if err := f.DB.ChangeState(ctx, r.ID, r.Version, f.Actor, db.StateChange{To: db.StateDuplicate, Reason: "Known.", DuplicateOf: strings.ToLower(orig.Ref())}); err != nil {
			t.Fatal(err)
		}
		d, _ := f.DB.Details(ctx, r.ID)
		if got, want := d.DuplicateOf, orig.Ref(); got != want {
			t.Fatalf("duplicate of=%q, want %q", got, want)
		}
	})
	t.Run("ErrDuplicateNeedsOriginal", func(t *testing.T) {
		f := newTriageFixture(t)
		r := f.report(t, f.P1.ID, "XSS", "desc")
		err := f.DB.ChangeState(ctx, r.ID, r.Version, f.Actor, db.StateChange{To: db.StateDuplicate, Reason: "Known."})
		if fieldError(err, "duplicate_of") == "" {
			t.Fatalf("err=%v, want a duplicate_of field error", err)
		}
	})
	t.Run("ErrDuplicateOfOtherProgram", func(t *testing.T) {
		f := newTriageFixture(t)
		other := f.report(t, f.P2.ID, "XSS", "desc")
		r := f.report(t, f.P1.ID, "XSS", "desc")
		err := f.DB.ChangeState(ctx, r.ID, r.Version, f.Actor, db.StateChange{To: db.StateDuplicate, Reason: "Known.", DuplicateOf: other.Ref()})
		if fieldError(err, "duplicate_of") == "" {
			t.Fatalf("err=%v, want a duplicate_of field error", err)
		}
		if got := f.fresh(t, r.ID).State; got != db.StateNew {
			t.Fatalf("state=%q, want new (unchanged)", got)
		}
	})
	t.Run("ErrDuplicateOfItself", func(t *testing.T) {
		f := newTriageFixture(t)
		r := f.report(t, f.P1.ID, "XSS", "desc")
		err := f.DB.ChangeState(ctx, r.ID, r.Version, f.Actor, db.StateChange{To: db.StateDuplicate, Reason: "Known.", DuplicateOf: r.Ref()})
		if fieldError(err, "duplicate_of") == "" {
			t.Fatalf("err=%v, want a duplicate_of field error", err)
		}
	})
	t.Run("ErrStaleVersion", func(t *testing.T) {
		f := newTriageFixture(t)
		r := f.report(t, f.P1.ID, "XSS", "desc")
		f.mustState(t, r, db.StateTriaged, "")
		err := f.DB.ChangeState(ctx, r.ID, r.Version, f.Actor, db.StateChange{To: db.StateSpam, Reason: "x"})
		if got, want := db.ErrorCode(err), db.ECONFLICT; got != want {
			t.Fatalf("code=%q, want %q", got, want)
		}
	})
}
