package db_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
)

// recordingNotifier keeps the events actions notify, so tests see what the
// mail gateway would be asked to send.
type recordingNotifier struct{ events []*db.Event }

func (n *recordingNotifier) Notify(ctx context.Context, ev *db.Event) ([]*db.OutMail, error) {
	n.events = append(n.events, ev)
	return nil, nil
}

func TestReply(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		f := newTriageFixture(t)
		r := f.report(t, f.P1.ID, "XSS", "desc")
		n := &recordingNotifier{}
		f.DB.Notifier = n
		f.advance(2 * 3600e9)
		files := []db.NewAttachment{{Filename: "fix.patch", ContentType: "text/x-diff", Data: []byte("--- a\n+++ b\n")}}
		if err := f.DB.Reply(ctx, r.ID, r.Version, f.Actor, "  Thanks, reproduced.  ", files, db.DefaultLimits); err != nil {
			t.Fatal(err)
		}
		pub, err := f.DB.Timeline(ctx, r.ID, true)
		if err != nil {
			t.Fatal(err)
		}
		last := pub[len(pub)-1]
		if got, want := last.Kind, db.KindReply; got != want {
			t.Fatalf("last public entry kind=%q, want %q", got, want)
		}
		if got, want := last.Body, "Thanks, reproduced."; got != want {
			t.Fatalf("body=%q, want %q", got, want)
		}
		if got, want := last.AuthorName, "Tina"; got != want {
			t.Fatalf("author=%q, want %q", got, want)
		}
		if len(last.Attachments) != 1 || last.Attachments[0].Filename != "fix.patch" {
			t.Fatalf("attachments=%v, want fix.patch", last.Attachments)
		}
		if got := f.fresh(t, r.ID).Version; got != r.Version+1 {
			t.Fatalf("version=%d, want %d", got, r.Version+1)
		}
		d, _ := f.DB.Details(ctx, r.ID)
		if !d.FirstResponse.Equal(f.now) {
			t.Fatalf("first response=%v, want %v", d.FirstResponse, f.now)
		}
		if len(n.events) != 1 || n.events[0].Kind != db.EventReply || n.events[0].Body != "Thanks, reproduced." || n.events[0].Report.ID != r.ID {
			t.Fatalf("notified %+v, want one reply event", n.events)
		}
		if got := auditActions(t, f.DB, r.Ref()); !slices.Contains(got, "report.reply") {
			t.Fatalf("audit=%v, want report.reply", got)
		}
	})
	t.Run("ErrBodyRequired", func(t *testing.T) {
		f := newTriageFixture(t)
		r := f.report(t, f.P1.ID, "XSS", "desc")
		err := f.DB.Reply(ctx, r.ID, r.Version, f.Actor, "   ", nil, db.DefaultLimits)
		if fieldError(err, "body") == "" {
			t.Fatalf("err=%v, want a body field error", err)
		}
	})
	t.Run("ErrStaleVersion", func(t *testing.T) {
		f := newTriageFixture(t)
		r := f.report(t, f.P1.ID, "XSS", "desc")
		if err := f.DB.AddNote(ctx, r.ID, r.Version, f.Actor, "first", nil, db.DefaultLimits); err != nil {
			t.Fatal(err)
		}
		err := f.DB.Reply(ctx, r.ID, r.Version, f.Actor, "second, from an old form", nil, db.DefaultLimits)
		if got, want := db.ErrorCode(err), db.ECONFLICT; got != want {
			t.Fatalf("code=%q, want %q", got, want)
		}
		if msg := db.ErrorMessage(err); !strings.Contains(msg, "Someone else changed this report") || !strings.Contains(msg, "Reload") {
			t.Fatalf("message=%q, want the stale-form explanation", msg)
		}
		tl, _ := f.DB.Timeline(ctx, r.ID, false)
		for _, m := range tl {
			if m.Body == "second, from an old form" {
				t.Fatal("a stale reply was stored")
			}
		}
	})
}

func TestAddNote(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		f := newTriageFixture(t)
		r := f.report(t, f.P1.ID, "XSS", "desc")
		n := &recordingNotifier{}
		f.DB.Notifier = n
		if err := f.DB.AddNote(ctx, r.ID, r.Version, f.Actor, "reproduced on staging", nil, db.DefaultLimits); err != nil {
			t.Fatal(err)
		}
		all, _ := f.DB.Timeline(ctx, r.ID, false)
		if last := all[len(all)-1]; last.Kind != db.KindNote || last.Public || last.Body != "reproduced on staging" {
			t.Fatalf("last entry=%+v, want a private note", last)
		}
		pub, _ := f.DB.Timeline(ctx, r.ID, true)
		for _, m := range pub {
			if m.Kind == db.KindNote {
				t.Fatal("a note is on the public timeline")
			}
		}
		if len(n.events) != 0 {
			t.Fatalf("a note notified %d events, want none", len(n.events))
		}
		if d, _ := f.DB.Details(ctx, r.ID); !d.FirstResponse.IsZero() {
			t.Fatal("an internal note counted as the first response")
		}
		if got := auditActions(t, f.DB, r.Ref()); !slices.Contains(got, "report.note") {
			t.Fatalf("audit=%v, want report.note", got)
		}
	})
}

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

func TestAssign(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		f := newTriageFixture(t)
		r := f.report(t, f.P1.ID, "XSS", "desc")
		if err := f.DB.Assign(ctx, r.ID, r.Version, f.Actor, f.Triager.ID); err != nil {
			t.Fatal(err)
		}
		d, _ := f.DB.Details(ctx, r.ID)
		if got, want := d.AssigneeID, f.Triager.ID; got != want {
			t.Fatalf("assignee=%d, want %d", got, want)
		}
		r = f.fresh(t, r.ID)
		if err := f.DB.Assign(ctx, r.ID, r.Version, f.Actor, 0); err != nil {
			t.Fatal(err)
		}
		if d, _ := f.DB.Details(ctx, r.ID); d.AssigneeID != 0 {
			t.Fatalf("assignee=%d after unassign, want 0", d.AssigneeID)
		}
		pub, _ := f.DB.Timeline(ctx, r.ID, true)
		for _, m := range pub {
			if m.Event == "assign" {
				t.Fatal("an assignment is on the public timeline")
			}
		}
		if got := auditActions(t, f.DB, r.Ref()); !slices.Contains(got, "report.assign") {
			t.Fatalf("audit=%v, want report.assign", got)
		}
	})
	t.Run("ErrNotMember", func(t *testing.T) {
		f := newTriageFixture(t)
		r := f.report(t, f.P2.ID, "XSS", "desc")
		err := f.DB.Assign(ctx, r.ID, r.Version, f.Actor, f.Triager.ID)
		if fieldError(err, "assignee") == "" {
			t.Fatalf("err=%v, want an assignee field error", err)
		}
	})
}

func TestEditFields(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		f := newTriageFixture(t)
		r := f.report(t, f.P1.ID, "XSS", "desc")
		in := db.FieldEdit{Asset: "api.example.org", CWE: "CWE-89", CVSSVector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
			CVEID: "cve-2026-12345", DisclosureDate: "2026-06-01", DisclosureTime: "10:00", DisclosureZone: "Europe/Paris", Credit: "Alice Example"}
		if err := f.DB.EditFields(ctx, r.ID, r.Version, f.Actor, in); err != nil {
			t.Fatal(err)
		}
		got := f.fresh(t, r.ID)
		if got.Asset != "api.example.org" || got.CWE != "CWE-89" || got.CVEID != "CVE-2026-12345" {
			t.Fatalf("fields=%q %q %q", got.Asset, got.CWE, got.CVEID)
		}
		if got.CVSSScore != 9.8 || got.Severity != db.SeverityCritical {
			t.Fatalf("cvss score=%v severity=%q, want 9.8 critical", got.CVSSScore, got.Severity)
		}
		d, _ := f.DB.Details(ctx, r.ID)
		if want := "2026-06-01T08:00:00Z"; d.DisclosureAt.Format("2006-01-02T15:04:05Z07:00") != want || d.DisclosureTZ != "Europe/Paris" {
			t.Fatalf("disclosure=%v %q, want %s Europe/Paris", d.DisclosureAt, d.DisclosureTZ, want)
		}
		if d.Credit != "Alice Example" {
			t.Fatalf("credit=%q", d.Credit)
		}
		all, _ := f.DB.Timeline(ctx, r.ID, false)
		var edits int
		for _, m := range all {
			if strings.HasPrefix(m.Event, "edit:") {
				edits++
				if m.Public {
					t.Fatalf("edit %q is public", m.Event)
				}
			}
		}
		if edits != 6 {
			t.Fatalf("edit entries=%d, want 6 (one per changed field)", edits)
		}
		var audits int
		for _, a := range auditActions(t, f.DB, r.Ref()) {
			if a == "report.edit" {
				audits++
			}
		}
		if audits != 6 {
			t.Fatalf("report.edit audit rows=%d, want 6", audits)
		}
		// The same form again changes nothing and writes nothing.
		if err := f.DB.EditFields(ctx, got.ID, got.Version, f.Actor, in); err != nil {
			t.Fatal(err)
		}
		if again := f.fresh(t, r.ID); again.Version != got.Version {
			t.Fatalf("an unchanged form bumped the version %d -> %d", got.Version, again.Version)
		}
	})
	t.Run("CVSS40", func(t *testing.T) {
		f := newTriageFixture(t)
		r := f.report(t, f.P1.ID, "XSS", "desc")
		in := db.FieldEdit{CVSSVector: "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"}
		if err := f.DB.EditFields(ctx, r.ID, r.Version, f.Actor, in); err != nil {
			t.Fatal(err)
		}
		// The specification's calculator gives 9.3 (critical) for this vector.
		if got := f.fresh(t, r.ID); got.CVSSScore != 9.3 || got.Severity != db.SeverityCritical {
			t.Fatalf("score=%v severity=%q, want 9.3 critical", got.CVSSScore, got.Severity)
		}
	})
	t.Run("ErrInvalidFields", func(t *testing.T) {
		f := newTriageFixture(t)
		r := f.report(t, f.P1.ID, "XSS", "desc")
		err := f.DB.EditFields(ctx, r.ID, r.Version, f.Actor, db.FieldEdit{CWE: "CWE-0", CVSSVector: "CVSS:3.1/AV:N",
			CVEID: "CVE-26-1", DisclosureDate: "2026-06-01", DisclosureZone: "Mars/Olympus"})
		for _, field := range []string{"cwe", "cvss", "cve", "disclosure"} {
			if fieldError(err, field) == "" {
				t.Errorf("no error for %s (err=%v)", field, err)
			}
		}
		if got := f.fresh(t, r.ID); got.Version != r.Version {
			t.Fatal("a refused edit changed the report")
		}
	})
	t.Run("ErrStaleVersion", func(t *testing.T) {
		f := newTriageFixture(t)
		r := f.report(t, f.P1.ID, "XSS", "desc")
		if err := f.DB.EditFields(ctx, r.ID, r.Version, f.Actor, db.FieldEdit{Asset: "a.example.org"}); err != nil {
			t.Fatal(err)
		}
		err := f.DB.EditFields(ctx, r.ID, r.Version, f.Actor, db.FieldEdit{Asset: "b.example.org"})
		if got, want := db.ErrorCode(err), db.ECONFLICT; got != want {
			t.Fatalf("code=%q, want %q", got, want)
		}
		if got := f.fresh(t, r.ID).Asset; got != "a.example.org" {
			t.Fatalf("asset=%q, want the first writer's a.example.org", got)
		}
	})
}
