package db_test

import (
	"context"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
)

// incidentPlanWorkload runs every statement of incidents for TestQueryPlans:
// escalation, edits, clocks, obligations, the lists and the hold that
// retention checks (its statements run in the workload's purge).
func incidentPlanWorkload(t *testing.T, d *db.DB, reportIDs []int64, actor db.Actor) {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(d.SetIncidentTimeZone(ctx, db.DefaultOrgID, "Europe/Berlin", actor))
	must(d.SavePreset(ctx, db.DefaultOrgID, &db.Preset{Preset: "contractual", Stage: "customers", Regime: "Contract", Title: "Tell customers",
		Recipient: "Customers", DueAmount: 12, DueUnit: "hours", Anchor: "awareness", Content: "What happened", Source: "MSA"}, actor))
	i, err := d.CreateIncident(ctx, &db.NewIncident{OrgID: db.DefaultOrgID, Title: "Breach", Severity: "high", Reports: reportIDs[:1],
		AwareAt: d.Now().Add(-time.Hour), AwareSource: "a report", Presets: []string{"nis2", "contractual"}}, actor)
	must(err)
	v := i.Version
	must(d.LinkReport(ctx, i.ID, v, reportIDs[1], actor))
	v++
	must(d.EditIncident(ctx, i.ID, v, actor, db.IncidentEdit{Title: "Breach", Severity: "critical", PersonalData: "yes", People: "3"}))
	v++
	must(d.RecordAwareness(ctx, i.ID, v, d.Now().Add(-2*time.Hour), "the first mail", actor))
	v++
	must(d.SetCorrectiveMeasure(ctx, i.ID, v, d.Now(), actor))
	v++
	must(d.AddObligations(ctx, i.ID, v, []string{"cra-exploited"}, actor))
	v++
	obs, err := d.Obligations(ctx, i.ID)
	must(err)
	must(d.SetObligation(ctx, i.ID, v, obs[0].ID, db.ObligationUpdate{State: "sent", SentAt: d.Now(), SentTo: "CSIRT"}, actor))
	v++
	must(d.SetIncidentStatus(ctx, i.ID, v, db.IncidentContained, actor))
	_, err = d.IncidentByID(ctx, i.ID)
	must(err)
	_, err = d.IncidentTimeline(ctx, i.ID)
	must(err)
	_, err = d.IncidentReports(ctx, i.ID)
	must(err)
	_, err = d.ReportIncidents(ctx, reportIDs[0])
	must(err)
	_, err = d.IncidentsIn(ctx, []int64{db.DefaultOrgID}, false)
	must(err)
	_, err = d.IncidentsIn(ctx, nil, true)
	must(err)
	_, err = d.Presets(ctx, db.DefaultOrgID)
	must(err)
	_, err = d.IncidentTimeZone(ctx, db.DefaultOrgID)
	must(err)
	_, err = d.IncidentClockAlerts(ctx, func(a *db.ClockAlert, to db.AlertRecipient) *db.OutMail {
		return &db.OutMail{Kind: "incident_clock", MessageID: "<" + a.Point + to.Email + "@x>", Subject: a.Ref, Body: a.Obligation}
	})
	must(err)
	// The queue's incident clocks: the filter in every order, alone and
	// with other filters, and the column, for a scope and for every one.
	for _, scope := range []db.IncidentScope{{All: true}, {Orgs: []int64{db.DefaultOrgID}}} {
		for _, visible := range [][]int64{nil, {1}} {
			for _, p := range []db.QueueParams{{Clock: "due"}, {Clock: "overdue", Sort: "oldest"}, {Clock: "due", Sort: "severity"},
				{Clock: "due", Sort: "deadline"}, {Clock: "due", State: "all", Assignee: "none", Severity: "high"}, {Clock: "due", Search: "overflow"},
				{Clock: "due", Deadline: "overdue", Source: "web"}, {}} {
				qf, err := d.ParseQueueParams(ctx, p, 0)
				must(err)
				qf.Incidents, qf.Visible = scope, visible
				_, err = d.Queue(ctx, qf)
				must(err)
			}
		}
	}
	if err := d.SetLegalHold(ctx, reportIDs[0], false, actor, "no"); db.ErrorCode(err) != db.ECONFLICT {
		t.Fatalf("release of a linked report: %v", err)
	}
}
