package db_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
)

// TestQueueIncidentClocks: the queue's clock filter lists the reports of
// incidents whose next deadline is due within six hours or overdue, the
// column names each report's nearest pending deadline, and both see only
// the incidents of the scope's organisations (and their children); the
// zero scope sees none.
func TestQueueIncidentClocks(t *testing.T) {
	ctx := context.Background()
	f := newIncidentFixture(t)
	now := f.clk.t
	soon := mustSubmit(t, f.DB, f.shop.ID, "Due soon")
	later := mustSubmit(t, f.DB, f.shop.ID, "Due later")
	overdue := mustSubmit(t, f.DB, f.shop.ID, "Overdue")
	plain := mustSubmit(t, f.DB, f.shop.ID, "No incident")
	foreign := mustSubmit(t, f.DB, f.otherPrg.ID, "Another tenant's overdue")
	// cert-in: 6 hours from awareness; nis2 early warning: 24 hours.
	f.open(t, &db.NewIncident{Reports: []int64{soon.ReportID}, Presets: []string{"cert-in", "nis2"}, AwareAt: now.Add(-2 * time.Hour), AwareSource: "a call"})
	f.open(t, &db.NewIncident{Reports: []int64{later.ReportID}, Presets: []string{"nis2"}, AwareAt: now.Add(-time.Hour), AwareSource: "a call"})
	f.open(t, &db.NewIncident{Reports: []int64{overdue.ReportID}, Presets: []string{"cert-in"}, AwareAt: now.Add(-7 * time.Hour), AwareSource: "a call"})
	f.open(t, &db.NewIncident{OrgID: f.other.ID, Reports: []int64{foreign.ReportID}, Presets: []string{"cert-in"}, AwareAt: now.Add(-7 * time.Hour), AwareSource: "a call"})

	refs := func(q *db.Queue) string {
		var out []string
		for _, r := range q.Rows {
			s := r.Title
			if r.Incident != nil {
				s += "@" + r.Incident.DueAt.Sub(now).String()
			}
			out = append(out, s)
		}
		return strings.Join(out, ", ")
	}
	client := db.IncidentScope{Orgs: []int64{f.client.ID}}
	for _, c := range []struct {
		name  string
		p     db.QueueParams
		scope db.IncidentScope
		want  string
	}{
		{"column", db.QueueParams{}, client, "Another tenant's overdue, No incident, Overdue@-1h0m0s, Due later@23h0m0s, Due soon@4h0m0s"},
		{"due", db.QueueParams{Clock: "due"}, client, "Overdue@-1h0m0s, Due soon@4h0m0s"},
		{"overdue", db.QueueParams{Clock: "overdue"}, client, "Overdue@-1h0m0s"},
		{"due, by the reports' deadlines", db.QueueParams{Clock: "due", Sort: "deadline"}, client, "Due soon@4h0m0s, Overdue@-1h0m0s"},
		{"due, with a search", db.QueueParams{Clock: "due", Search: "overdue"}, client, "Overdue@-1h0m0s"},
		{"other organisation", db.QueueParams{Clock: "overdue"}, db.IncidentScope{Orgs: []int64{f.other.ID}}, "Another tenant's overdue@-1h0m0s"},
		{"site admin", db.QueueParams{Clock: "overdue"}, db.IncidentScope{All: true}, "Another tenant's overdue@-1h0m0s, Overdue@-1h0m0s"},
		{"no scope", db.QueueParams{Clock: "due"}, db.IncidentScope{}, ""},
		{"no scope, column", db.QueueParams{State: "new", Search: "overdue"}, db.IncidentScope{}, "Another tenant's overdue, Overdue"},
	} {
		t.Run(c.name, func(t *testing.T) {
			qf, err := f.ParseQueueParams(ctx, c.p, 0)
			if err != nil {
				t.Fatal(err)
			}
			qf.Incidents = c.scope
			q, err := f.Queue(ctx, qf)
			if err != nil {
				t.Fatal(err)
			}
			if got := refs(q); got != c.want {
				t.Errorf("queue %q, want %q", got, c.want)
			}
		})
	}
	_ = plain
	if _, err := f.ParseQueueParams(ctx, db.QueueParams{Clock: "soonish"}, 0); db.ErrorFields(err)["clock"] == "" {
		t.Errorf("clock=soonish: %v, want a field error", err)
	}

	// A child organisation's incidents are in its parent's scope.
	child, err := f.CreateOrg(ctx, &db.NewOrg{Slug: "child", Name: "Child", ParentSlug: "client"}, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	p := db.NewProgramDefaults()
	p.Name, p.Slug, p.Prefix, p.OrgID = "kid", "kid", "KID", child.ID
	prog, err := f.SaveProgram(ctx, p, nil, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	kid := mustSubmit(t, f.DB, prog.ID, "Child's overdue")
	f.open(t, &db.NewIncident{OrgID: child.ID, Reports: []int64{kid.ReportID}, Presets: []string{"cert-in"}, AwareAt: now.Add(-7 * time.Hour), AwareSource: "a call"})
	q, err := f.Queue(ctx, db.QueueFilter{Clock: db.ClockOverdue, Incidents: client, Visible: []int64{f.shop.ID, prog.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := refs(q), "Child's overdue@-1h0m0s, Overdue@-1h0m0s"; got != want {
		t.Errorf("parent's queue %q, want %q", got, want)
	}
}
