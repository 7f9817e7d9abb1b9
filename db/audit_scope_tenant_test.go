package db_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
)

// TestAuditScopeIncidents: an incident's audit rows (target INC-<id>, which
// looks like a report reference) are filed under the incident's
// organisation and its parent, never under whichever organisation owns a
// program with the prefix INC, which no program may take (session 5
// review: an org admin creating a program "INC" read every tenant's
// incident rows on its audit page).
func TestAuditScopeIncidents(t *testing.T) {
	ctx := context.Background()
	f := newOrgFixture(t)
	d := f.DB
	p := db.NewProgramDefaults()
	p.Name, p.Slug, p.Prefix, p.OrgID = "inc", "client-inc", "INC", f.Client.ID
	if _, err := d.SaveProgram(ctx, p, nil, db.ActorSystem); db.ErrorFields(err)["prefix"] == "" {
		t.Errorf("a program took the prefix INC: %v", err)
	}
	if _, err := d.CreateIncident(ctx, &db.NewIncident{OrgID: f.Sibling.ID, Title: "Customer DB exfiltrated", Severity: "critical",
		AwareAt: d.Now().Add(-time.Hour), AwareSource: "a tip"}, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	count := func(org int64) int {
		page, err := d.ListAudit(ctx, db.AuditFilter{Org: org, Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range page.Entries {
			if strings.HasPrefix(e.Action, "incident.") {
				n++
			}
		}
		return n
	}
	if n := count(f.Client.ID); n != 0 {
		t.Errorf("the client's audit shows %d rows of the sibling's incident", n)
	}
	if count(f.Sibling.ID) == 0 || count(f.Agency.ID) == 0 {
		t.Errorf("the incident's rows are missing from its organisation (%d) or its parent (%d)", count(f.Sibling.ID), count(f.Agency.ID))
	}
}

// TestAuditScopeDetailNotTrusted: "org=client" typed into a token's name or
// an incident's awareness source does not file the row under the client's
// audit page: only actions that write org= themselves are read that way.
func TestAuditScopeDetailNotTrusted(t *testing.T) {
	ctx := context.Background()
	f := newOrgFixture(t)
	d := f.DB
	mallory := f.member(t, "mallory@sibling.example", f.Sibling, db.RoleViewer)
	if _, _, err := d.CreateAPIToken(ctx, mallory.ID, db.NewAPIToken{Name: "x org=client URGENT: re-enter your password at evil.example",
		Scope: db.ScopeRead}, mallory.Actor("")); err != nil {
		t.Fatal(err)
	}
	if _, err := d.CreateIncident(ctx, &db.NewIncident{OrgID: f.Sibling.ID, Title: "i", Severity: "low",
		AwareAt: d.Now().Add(-time.Hour), AwareSource: "mail org=client planted"}, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	page, err := d.ListAudit(ctx, db.AuditFilter{Org: f.Client.ID, Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range page.Entries {
		if strings.Contains(e.Detail, "evil.example") || strings.Contains(e.Detail, "planted") {
			t.Errorf("another tenant planted %s %q in the client's audit", e.Action, e.Detail)
		}
	}
}
