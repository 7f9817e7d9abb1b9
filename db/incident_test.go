package db_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
)

// incidentFixture is a database with a client organisation holding a
// program, and another organisation with its own program.
type incidentFixture struct {
	*db.DB
	clk            *clock
	client, other  *db.Organisation
	shop, otherPrg *db.Program
}

func newIncidentFixture(t *testing.T) *incidentFixture {
	t.Helper()
	ctx := context.Background()
	d := MustOpenDB(t)
	f := &incidentFixture{DB: d, clk: &clock{t: time.Date(2026, 3, 28, 9, 0, 0, 0, time.UTC)}}
	d.Now = f.clk.Now
	var err error
	if f.client, err = d.CreateOrg(ctx, &db.NewOrg{Slug: "client", Name: "Client"}, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	if f.other, err = d.CreateOrg(ctx, &db.NewOrg{Slug: "other", Name: "Other"}, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	program := func(slug, prefix string, org int64) *db.Program {
		p := db.NewProgramDefaults()
		p.Name, p.Slug, p.Prefix, p.OrgID = slug, slug, prefix, org
		saved, err := d.SaveProgram(ctx, p, nil, db.ActorSystem)
		if err != nil {
			t.Fatal(err)
		}
		return saved
	}
	f.shop, f.otherPrg = program("shop", "SHOP", f.client.ID), program("else", "ELSE", f.other.ID)
	return f
}

var staffActor = db.Actor{Name: "triager@example.org", ClientAddr: "127.0.0.1"}

func (f *incidentFixture) open(t *testing.T, in *db.NewIncident) *db.Incident {
	t.Helper()
	if in.OrgID == 0 {
		in.OrgID = f.client.ID
	}
	if in.Severity == "" {
		in.Severity = "high"
	}
	if in.Title == "" {
		in.Title = "Customer data exposed"
	}
	i, err := f.CreateIncident(context.Background(), in, staffActor)
	if err != nil {
		t.Fatal(err)
	}
	return i
}

func TestIncidentEscalation(t *testing.T) {
	ctx := context.Background()
	f := newIncidentFixture(t)
	a, b := mustSubmit(t, f.DB, f.shop.ID, "Exploited SQL injection"), mustSubmit(t, f.DB, f.shop.ID, "Same flaw, second reporter")
	foreign := mustSubmit(t, f.DB, f.otherPrg.ID, "Another tenant's report")

	t.Run("OK", func(t *testing.T) {
		i := f.open(t, &db.NewIncident{Reports: []int64{a.ReportID, b.ReportID}})
		if i.Status != db.IncidentOpen || !i.AwareAt.IsZero() || i.Version != 1 {
			t.Fatalf("new incident: status %s, aware %v, version %d", i.Status, i.AwareAt, i.Version)
		}
		for _, id := range []int64{a.ReportID, b.ReportID} {
			if held, err := f.LegalHold(ctx, id); err != nil || !held {
				t.Errorf("report %d on legal hold: %v, %v", id, held, err)
			}
			links, err := f.ReportIncidents(ctx, id)
			if err != nil || len(links) != 1 || links[0].ID != i.ID {
				t.Errorf("report %d links back to %v (%v)", id, links, err)
			}
		}
		reps, err := f.IncidentReports(ctx, i.ID)
		if err != nil || len(reps) != 2 || reps[0].Ref != "SHOP-1" {
			t.Fatalf("incident reports = %+v, %v", reps, err)
		}
		if got := auditActions(t, f.DB, "SHOP-1"); !hasString(got, "report.legal_hold") {
			t.Errorf("audit of SHOP-1 = %v, want a legal hold", got)
		}
		if got := auditActions(t, f.DB, i.Ref()); !hasString(got, "incident.open") || !hasString(got, "incident.report.link") {
			t.Errorf("audit of %s = %v", i.Ref(), got)
		}
		err = f.SetLegalHold(ctx, a.ReportID, false, staffActor, "tidy up")
		if db.ErrorCode(err) != db.ECONFLICT {
			t.Errorf("releasing the hold of a linked report: %v, want a conflict", err)
		}
	})
	t.Run("ErrReportOfAnotherOrganisation", func(t *testing.T) {
		_, err := f.CreateIncident(ctx, &db.NewIncident{OrgID: f.client.ID, Title: "T", Severity: "low", Reports: []int64{foreign.ReportID}}, staffActor)
		if fieldError(err, "report") == "" {
			t.Fatalf("linking another organisation's report: %v", err)
		}
		if held, _ := f.LegalHold(ctx, foreign.ReportID); held {
			t.Error("another organisation's report went on hold")
		}
	})
	t.Run("ErrTitleRequired", func(t *testing.T) {
		_, err := f.CreateIncident(ctx, &db.NewIncident{OrgID: f.client.ID, Title: " ", Severity: "urgent"}, staffActor)
		if fieldError(err, "title") == "" || fieldError(err, "severity") == "" {
			t.Fatalf("err = %v", err)
		}
	})
}

func hasString(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func TestIncidentEditAndStatus(t *testing.T) {
	ctx := context.Background()
	f := newIncidentFixture(t)
	i := f.open(t, &db.NewIncident{Presets: []string{"gdpr"}})
	edit := db.IncidentEdit{Title: "Orders table exposed", Severity: "critical", PersonalData: "yes", People: "1200",
		Checklist: db.Checklist{Scope: "orders API", DataCategories: "names, addresses"}}
	if err := f.EditIncident(ctx, i.ID, i.Version, staffActor, edit); err != nil {
		t.Fatal(err)
	}
	err := f.EditIncident(ctx, i.ID, i.Version, staffActor, edit)
	if db.ErrorCode(err) != db.ECONFLICT {
		t.Fatalf("an edit from a stale form: %v, want a conflict", err)
	}
	got, err := f.IncidentByID(ctx, i.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Title != edit.Title || got.Checklist.DataCategories != "names, addresses" || !got.PeopleKnown || got.PeopleAffected != 1200 || got.PersonalData != "yes" {
		t.Fatalf("edited incident = %+v", got)
	}
	if err := f.SetIncidentStatus(ctx, i.ID, got.Version, db.IncidentRecovered, staffActor); db.ErrorCode(err) != db.EINVALID {
		t.Fatalf("open → recovered: %v, want refused", err)
	}
	if err := f.SetIncidentStatus(ctx, i.ID, got.Version, db.IncidentClosed, staffActor); err == nil || !strings.Contains(db.ErrorMessage(err), "pending") {
		t.Fatalf("closing with pending notifications: %v", err)
	}
	obs, err := f.Obligations(ctx, i.ID)
	if err != nil || len(obs) != 2 {
		t.Fatalf("gdpr obligations = %d, %v", len(obs), err)
	}
	v := got.Version
	for _, o := range obs {
		if err := f.SetObligation(ctx, i.ID, v, o.ID, db.ObligationUpdate{State: "not_required", Reason: "no personal data after all"}, staffActor); err != nil {
			t.Fatal(err)
		}
		v++
	}
	for _, to := range []db.IncidentStatus{db.IncidentContained, db.IncidentRecovered, db.IncidentClosed} {
		if err := f.SetIncidentStatus(ctx, i.ID, v, to, staffActor); err != nil {
			t.Fatalf("→ %s: %v", to, err)
		}
		v++
	}
	tl, err := f.IncidentTimeline(ctx, i.ID)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range tl {
		kinds = append(kinds, e.Kind)
		if strings.Contains(e.Detail, "names, addresses") {
			t.Errorf("the timeline quotes the checklist: %q", e.Detail)
		}
	}
	want := "open obligation.add obligation.add edit obligation obligation status status status"
	if strings.Join(kinds, " ") != want {
		t.Errorf("timeline = %s\nwant       %s", strings.Join(kinds, " "), want)
	}
	if got := auditActions(t, f.DB, i.Ref()); len(got) != len(tl) {
		t.Errorf("audit rows %d, timeline entries %d", len(got), len(tl))
	}
}

// TestIncidentOwner: only someone who works in the organisation can own
// its incident.
func TestIncidentOwner(t *testing.T) {
	ctx := context.Background()
	f := newIncidentFixture(t)
	i := f.open(t, &db.NewIncident{})
	mk := func(email string, org int64, role db.Role) int64 {
		u, err := f.CreateUser(ctx, &db.NewUser{Email: email, Role: db.RoleViewer, Password: "correct horse battery staple"}, db.ActorSystem)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.SetOrgMember(ctx, org, u.ID, role, db.ActorSystem); err != nil {
			t.Fatal(err)
		}
		return u.ID
	}
	outsider, viewer, triager := mk("out@example.org", f.other.ID, db.RoleAdmin), mk("view@example.org", f.client.ID, db.RoleViewer), mk("tri@example.org", f.client.ID, db.RoleTriager)
	for _, c := range []struct {
		id int64
		ok bool
	}{{outsider, false}, {viewer, false}, {triager, true}} {
		cur, _ := f.IncidentByID(ctx, i.ID)
		err := f.EditIncident(ctx, i.ID, cur.Version, staffActor, db.IncidentEdit{Title: cur.Title, Severity: cur.Severity, PersonalData: "unknown", OwnerID: c.id})
		if (err == nil) != c.ok {
			t.Errorf("owner %d: %v, want ok=%v", c.id, err, c.ok)
		}
	}
}

// TestIncidentHoldSurvivesPurge: reports escalated to an incident outlive
// the retention rules that would dispose of them, through the purge every
// path runs (the CLI's and the scheduled one both call Purge), even when
// reports.legal_hold was cleared behind the incident's back.
func TestIncidentHoldSurvivesPurge(t *testing.T) {
	ctx := context.Background()
	f := newIncidentFixture(t)
	if err := f.SetRetentionRule(ctx, &db.RetentionRule{ProgramID: f.shop.ID, AttachmentsDays: 1, AnonymiseDays: 2, SpamDeleteDays: 1}, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	spam, closed, loose := mustSubmit(t, f.DB, f.shop.ID, "Looks like spam"), mustSubmit(t, f.DB, f.shop.ID, "Closed informative"), mustSubmit(t, f.DB, f.shop.ID, "Not escalated")
	mustMove(t, f.DB, spam.ReportID, db.StateNew, db.StateSpam)
	mustMove(t, f.DB, closed.ReportID, db.StateNew, db.StateInformative)
	mustMove(t, f.DB, loose.ReportID, db.StateNew, db.StateInformative)
	f.open(t, &db.NewIncident{Reports: []int64{spam.ReportID, closed.ReportID}})
	if err := f.Update(ctx, func(ctx context.Context, tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE reports SET legal_hold = 0`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	f.clk.Advance(30 * 24 * time.Hour)
	res, err := f.Purge(ctx, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Due != 1 {
		t.Errorf("%d disposals due, want 1 (the report not escalated)", res.Due)
	}
	for _, id := range []int64{spam.ReportID, closed.ReportID} {
		r, err := f.ReportByID(ctx, id)
		if err != nil {
			t.Fatalf("escalated report %d: %v", id, err)
		}
		if r.Title == db.AnonymisedTitle || attachmentCount(t, f.DB, id) != 1 {
			t.Errorf("escalated report %s was disposed of: %q, %d attachments", r.Ref(), r.Title, attachmentCount(t, f.DB, id))
		}
	}
	if r, _ := f.ReportByID(ctx, loose.ReportID); r.Title != db.AnonymisedTitle {
		t.Errorf("the report not escalated kept its title %q", r.Title)
	}
}
