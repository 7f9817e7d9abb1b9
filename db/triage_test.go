package db_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
)

func TestReply(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		f := newTriageFixture(t)
		r := f.report(t, f.P1.ID, "XSS", "desc")
		before := len(pendingEvents(t, f.DB))
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
		if evs := pendingEvents(t, f.DB)[before:]; len(evs) != 1 || evs[0].Kind != db.EventReply || evs[0].Body != "Thanks, reproduced." || evs[0].Report.ID != r.ID {
			t.Fatalf("recorded %+v, want one reply event", evs)
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
		before := len(pendingEvents(t, f.DB))
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
		if evs := pendingEvents(t, f.DB)[before:]; len(evs) != 0 {
			t.Fatalf("a note recorded %d events, want none", len(evs))
		}
		if d, _ := f.DB.Details(ctx, r.ID); !d.FirstResponse.IsZero() {
			t.Fatal("an internal note counted as the first response")
		}
		if got := auditActions(t, f.DB, r.Ref()); !slices.Contains(got, "report.note") {
			t.Fatalf("audit=%v, want report.note", got)
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
