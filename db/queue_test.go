package db_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/db/demo"
)

func refs(q *db.Queue) []string {
	var out []string
	for _, r := range q.Rows {
		out = append(out, r.Ref)
	}
	return out
}

func TestQueue(t *testing.T) {
	ctx := context.Background()
	f := newTriageFixture(t)
	// SEC-1 .. SEC-3 and OTH-1, an hour apart.
	a := f.report(t, f.P1.ID, "Stored XSS in profile", "The profile name is rendered without escaping.")
	f.advance(time.Hour)
	b := f.report(t, f.P1.ID, "SQL injection in search", "The q parameter is concatenated into SQL.")
	f.advance(time.Hour)
	c := f.report(t, f.P1.ID, "Open redirect after login", "The next parameter accepts any host.")
	f.advance(time.Hour)
	o := f.report(t, f.P2.ID, "SQL injection in billing", "Union payloads return rows.")
	f.advance(time.Hour)
	if err := f.DB.EditFields(ctx, b.ID, b.Version, f.Actor, db.FieldEdit{Asset: b.Asset, CWE: b.CWE, CVSSVector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}); err != nil {
		t.Fatal(err)
	}
	b = f.fresh(t, b.ID)
	if err := f.DB.Assign(ctx, b.ID, b.Version, f.Actor, f.Triager.ID); err != nil {
		t.Fatal(err)
	}
	f.mustState(t, c, db.StateSpam, "Not a report.")

	for _, tc := range []struct {
		name string
		f    db.QueueFilter
		want []string
	}{
		{"OK", db.QueueFilter{}, []string{o.Ref(), c.Ref(), b.Ref(), a.Ref()}},
		{"Open", db.QueueFilter{States: db.StateGroups["open"]}, []string{o.Ref(), b.Ref(), a.Ref()}},
		{"Closed", db.QueueFilter{States: db.StateGroups["closed"]}, []string{c.Ref()}},
		{"OneState", db.QueueFilter{States: []db.State{db.StateSpam}}, []string{c.Ref()}},
		{"Oldest", db.QueueFilter{Sort: db.SortOldest}, []string{a.Ref(), b.Ref(), c.Ref(), o.Ref()}},
		{"Program", db.QueueFilter{ProgramID: f.P2.ID}, []string{o.Ref()}},
		{"Visible", db.QueueFilter{Visible: []int64{f.P1.ID}}, []string{c.Ref(), b.Ref(), a.Ref()}},
		{"VisibleNone", db.QueueFilter{Visible: []int64{}}, nil},
		{"Severity", db.QueueFilter{Severity: db.SeverityCritical}, []string{b.Ref()}},
		{"Unrated", db.QueueFilter{Unrated: true, States: db.StateGroups["open"]}, []string{o.Ref(), a.Ref()}},
		{"SortSeverity", db.QueueFilter{Sort: db.SortSeverity, Visible: []int64{f.P1.ID}}, []string{b.Ref(), c.Ref(), a.Ref()}},
		{"Assignee", db.QueueFilter{AssigneeID: f.Triager.ID}, []string{b.Ref()}},
		{"Unassigned", db.QueueFilter{AssigneeID: db.AssigneeNone, Visible: []int64{f.P1.ID}}, []string{c.Ref(), a.Ref()}},
		{"SourceEmail", db.QueueFilter{Source: db.SourceEmail}, nil},
		{"SourceWeb", db.QueueFilter{Source: db.SourceWeb, ProgramID: f.P2.ID}, []string{o.Ref()}},
		{"Search", db.QueueFilter{Search: "sql injection"}, []string{o.Ref(), b.Ref()}},
		{"SearchStemmed", db.QueueFilter{Search: "escaped"}, []string{a.Ref()}},
		{"SearchVisible", db.QueueFilter{Search: "sql injection", Visible: []int64{f.P1.ID}}, []string{b.Ref()}},
		{"SearchOperatorsAreWords", db.QueueFilter{Search: `sql OR "NEAR(`}, nil},
		{"SearchPunctuationOnly", db.QueueFilter{Search: `"`}, nil},
		{"SearchRelevance", db.QueueFilter{Search: "billing injection", Sort: db.SortRelevance}, []string{o.Ref()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q, err := f.DB.Queue(ctx, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := fmt.Sprint(refs(q)), fmt.Sprint(tc.want); got != want {
				t.Fatalf("refs=%s, want %s", got, want)
			}
		})
	}
	t.Run("Row", func(t *testing.T) {
		q, _ := f.DB.Queue(ctx, db.QueueFilter{AssigneeID: f.Triager.ID})
		r := q.Rows[0]
		if r.Title != "SQL injection in search" || r.ProgramName != f.P1.Name || r.State != db.StateNew ||
			r.Severity != db.SeverityCritical || r.Assignee != "Tina" || r.Next == nil || r.Next.Kind != db.DeadlineFirstResponse {
			t.Fatalf("row=%+v next=%+v", r, r.Next)
		}
	})
	t.Run("Counts", func(t *testing.T) {
		q, _ := f.DB.Queue(ctx, db.QueueFilter{Visible: []int64{f.P1.ID}})
		if q.Counts[db.StateNew] != 2 || q.Counts[db.StateSpam] != 1 || q.Total() != 3 {
			t.Fatalf("counts=%v, want new 2 spam 1", q.Counts)
		}
		q, _ = f.DB.Queue(ctx, db.QueueFilter{})
		if q.Total() != 4 || q.Total(db.StateGroups["open"]...) != 3 {
			t.Fatalf("counts=%v, want 4 in all, 3 open", q.Counts)
		}
	})
	t.Run("Deadline", func(t *testing.T) {
		// First response is due 3 days after arrival; "due soon" starts
		// 2 days before.
		q, _ := f.DB.Queue(ctx, db.QueueFilter{Deadline: db.DeadlineDueSoon})
		if len(q.Rows) != 0 {
			t.Fatalf("due soon at once: %v", refs(q))
		}
		f.advance(30 * time.Hour)
		q, _ = f.DB.Queue(ctx, db.QueueFilter{Deadline: db.DeadlineDueSoon})
		// Assignments and edits are not a response; c is closed.
		if got, want := fmt.Sprint(refs(q)), fmt.Sprint([]string{o.Ref(), b.Ref(), a.Ref()}); got != want {
			t.Fatalf("due soon=%s, want %s", got, want)
		}
		f.advance(48 * time.Hour)
		q, _ = f.DB.Queue(ctx, db.QueueFilter{Deadline: db.DeadlineOverdue, Sort: db.SortDeadline})
		if got, want := fmt.Sprint(refs(q)), fmt.Sprint([]string{a.Ref(), b.Ref(), o.Ref()}); got != want {
			t.Fatalf("overdue by deadline=%s, want %s", got, want)
		}
		if r := q.Rows[0]; r.Next.Status != db.DeadlineOverdue {
			t.Fatalf("status=%q, want overdue", r.Next.Status)
		}
		f.now = f.now.Add(-78 * time.Hour)
	})
}

func TestQueuePagination(t *testing.T) {
	ctx := context.Background()
	f := newTriageFixture(t)
	if _, err := demo.Generate(ctx, f.DB, demo.Options{Reports: 130, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	var all []string
	for page := 1; ; page++ {
		q, err := f.DB.Queue(ctx, db.QueueFilter{Page: page})
		if err != nil {
			t.Fatal(err)
		}
		if len(q.Rows) > db.QueuePageSize {
			t.Fatalf("page %d has %d rows", page, len(q.Rows))
		}
		all = append(all, refs(q)...)
		if !q.HasNext {
			if page != 3 {
				t.Fatalf("last page=%d, want 3", page)
			}
			break
		}
	}
	if len(all) != 130 {
		t.Fatalf("paged through %d reports, want 130", len(all))
	}
	seen := map[string]bool{}
	for _, r := range all {
		if seen[r] {
			t.Fatalf("%s on two pages", r)
		}
		seen[r] = true
	}
}

func TestParseQueueParams(t *testing.T) {
	ctx := context.Background()
	f := newTriageFixture(t)
	t.Run("OK", func(t *testing.T) {
		qf, err := f.DB.ParseQueueParams(ctx, db.QueueParams{State: "needs_info", Program: "other", Severity: "high",
			Assignee: "me", Source: "email", Deadline: "overdue", Search: " xss ", Sort: "severity", Page: "2"}, 42)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(qf.States) != "[needs_info]" || qf.ProgramID != f.P2.ID || qf.Severity != db.SeverityHigh || qf.AssigneeID != 42 ||
			qf.Source != db.SourceEmail || qf.Deadline != db.DeadlineOverdue || qf.Search != "xss" || qf.Sort != db.SortSeverity || qf.Page != 2 {
			t.Fatalf("filter=%+v", qf)
		}
	})
	t.Run("Defaults", func(t *testing.T) {
		qf, err := f.DB.ParseQueueParams(ctx, db.QueueParams{}, 1)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(qf.States) != fmt.Sprint(db.StateGroups["open"]) || qf.Sort != db.SortNewest || qf.Page != 1 {
			t.Fatalf("filter=%+v, want open, newest, page 1", qf)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		_, err := f.DB.ParseQueueParams(ctx, db.QueueParams{State: "bogus", Program: "nope", Severity: "x", Assignee: "-3",
			Source: "fax", Deadline: "later", Sort: "random", Page: "0"}, 1)
		for _, field := range []string{"state", "program", "severity", "assignee", "source", "deadline", "sort", "page"} {
			if fieldError(err, field) == "" {
				t.Errorf("no error for %s", field)
			}
		}
	})
}
