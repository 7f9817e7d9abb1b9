package handlers_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/disclose/disclose/db"
)

// TestQueueIncidentClocks: the queue shows the clock of a report's
// incident (its reference, time left in words, the due time in the
// organisation's zone and UTC) and filters the reports whose incident
// clock is due soon or overdue, without JavaScript and accessibly; only
// incidents the user reaches count: a member of another organisation who
// also works the program sees the report without its incident's clock,
// and a member of the program only gets neither column nor matches.
func TestQueueIncidentClocks(t *testing.T) {
	e := newIncidentEnv(t)
	ctx := context.Background()
	now := e.env.DB.Now()
	if err := e.env.DB.SetIncidentTimeZone(ctx, e.client.ID, "Asia/Kolkata", db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	inc, err := e.env.DB.CreateIncident(ctx, &db.NewIncident{OrgID: e.client.ID, Title: "Breach", Severity: "high", Reports: []int64{e.exploited.ID},
		AwareAt: now.Add(-7 * time.Hour), AwareSource: "a call", Presets: []string{"cert-in", "gdpr"}}, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	other, err := e.env.DB.CreateOrg(ctx, &db.NewOrg{Slug: "other", Name: "Other"}, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	pr := db.NewProgramDefaults()
	pr.Name, pr.Slug, pr.Prefix, pr.OrgID = "Else", "else", "ELSE", other.ID
	prog, err := e.env.DB.SaveProgram(ctx, pr, nil, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := e.env.DB.CreateReport(ctx, &db.NewReport{ProgramID: prog.ID, Source: db.SourceWeb, Title: "Other tenant's breach",
		Description: "x", Reporter: db.Reporter{Credit: db.CreditAnonymous}})
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := e.env.DB.ReportByID(ctx, rc.ReportID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.env.DB.CreateIncident(ctx, &db.NewIncident{OrgID: other.ID, Title: "Theirs", Severity: "high", Reports: []int64{foreign.ID},
		AwareAt: now.Add(-7 * time.Hour), AwareSource: "a call", Presets: []string{"cert-in"}}, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	// mixed: a viewer of the other organisation who also works the shop program.
	mixed := e.env.mustUser(t, "mixed@example.org", db.RoleTriager, e.own.ID)
	if err := e.env.DB.SetOrgMember(ctx, other.ID, mixed.ID, db.RoleViewer, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	e.env.mustUser(t, "prog@example.org", db.RoleTriager, e.own.ID)
	browse := func(email string) *browser {
		b := e.env.browser(t)
		b.mustLogin(email)
		return b
	}
	type row struct{ ref, clock string }
	queue := func(b *browser, query string) (rows []row, column bool) {
		t.Helper()
		p := b.get("/triage" + query)
		if p.Status != 200 {
			t.Fatalf("/triage%s: %d", query, p.Status)
		}
		d := doc(t, p.Body)
		for _, problem := range a11yProblems(d) {
			t.Errorf("/triage%s: %s", query, problem)
		}
		d.Find(`tr[data-ref]`).Each(func(_ int, s *goquery.Selection) {
			ref, _ := s.Attr("data-ref")
			rows = append(rows, row{ref, strings.Join(strings.Fields(s.Find(`[data-testid=incident-clock]`).Text()), " ")})
		})
		return rows, d.Find(`select[name=clock]`).Length() == 1
	}

	rows, column := queue(e.viewer, "")
	want := inc.Ref() + " overdue by 1h 00m " + inc.AwareAt.Add(6*time.Hour).In(mustLoc(t, "Asia/Kolkata")).Format("2006-01-02 15:04 MST") +
		" (" + inc.AwareAt.Add(6*time.Hour).UTC().Format("15:04 UTC") + ")"
	if !column {
		t.Error("the organisation's viewer has no incident clock filter")
	}
	found := false
	for _, r := range rows {
		if r.ref == e.exploited.Ref() {
			found = true
			if r.clock != want {
				t.Errorf("clock of %s: %q, want %q", r.ref, r.clock, want)
			}
		} else if r.clock != "none" {
			t.Errorf("clock of %s: %q, want none", r.ref, r.clock)
		}
	}
	if !found {
		t.Errorf("queue %v lacks %s", rows, e.exploited.Ref())
	}
	for _, q := range []string{"?clock=due", "?clock=overdue", "?clock=due&state=all&sort=oldest"} {
		if rows, _ := queue(e.viewer, q); len(rows) != 1 || rows[0].ref != e.exploited.Ref() {
			t.Errorf("viewer /triage%s: %v, want only %s", q, rows, e.exploited.Ref())
		}
	}

	rows, column = queue(browse("mixed@example.org"), "")
	if !column {
		t.Error("a member of another organisation has no incident clock filter")
	}
	for _, r := range rows {
		if r.ref == e.exploited.Ref() && r.clock != "none" {
			t.Errorf("mixed sees the clock of another organisation's incident: %q", r.clock)
		}
	}
	if rows, _ := queue(browse("mixed@example.org"), "?clock=due"); len(rows) != 1 || rows[0].ref != foreign.Ref() {
		t.Errorf("mixed /triage?clock=due: %v, want only %s (the shop's incident is not theirs)", rows, foreign.Ref())
	}

	prog1 := browse("prog@example.org")
	rows, column = queue(prog1, "")
	if column || len(rows) == 0 {
		t.Errorf("the program's triager: %d rows, clock filter shown %v", len(rows), column)
	}
	for _, r := range rows {
		if r.clock != "" {
			t.Errorf("the program's triager sees an incident clock on %s: %q", r.ref, r.clock)
		}
	}
	if rows, _ := queue(prog1, "?clock=due"); len(rows) != 0 {
		t.Errorf("the program's triager /triage?clock=due: %v, want none", rows)
	}
	if p := prog1.get("/triage?clock=soonish"); p.Status != 422 || doc(t, p.Body).Find(`[data-testid=error-summary]`).Length() != 1 {
		t.Errorf("/triage?clock=soonish: %d", p.Status)
	}
}

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
