package handlers_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/disclose/disclose/db"
)

// TestOrgAuditPage: an organisation's admin reads what was done in the
// organisation (its reports, its mailboxes, its people's accounts) on its
// own audit page, without the parent's or the instance's rows, and the
// page is accessible and filterable.
func TestOrgAuditPage(t *testing.T) {
	p := newOrgPortal(t)
	ctx := context.Background()
	file := func(prog *db.Program, title string) string {
		rc, err := p.DB.CreateReport(ctx, &db.NewReport{ProgramID: prog.ID, Source: db.SourceWeb, Title: title, Description: "d",
			Reporter: db.Reporter{Email: "r@example.net"}})
		if err != nil {
			t.Fatal(err)
		}
		return rc.Ref
	}
	mine, theirs := file(p.prog, "client bug"), file(p.agencyProg, "agency bug")
	b := p.orgAdmin(t, "admin@client.example", p.client)
	if !strings.Contains(b.get("/orgs/client").Body, `href="/orgs/client/audit"`) {
		t.Error("the organisation page has no link to its audit log")
	}
	pg := b.get("/orgs/client/audit")
	if pg.Status != http.StatusOK || !strings.Contains(pg.Body, mine) || strings.Contains(pg.Body, theirs) {
		t.Fatalf("GET /orgs/client/audit: %d, want the client's report %s and not the agency's %s", pg.Status, mine, theirs)
	}
	if !strings.Contains(pg.Body, "admin@client.example") {
		t.Error("the client's audit does not show its admin's own account events")
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(pg.Body))
	if err != nil {
		t.Fatal(err)
	}
	for _, problem := range a11yProblems(doc) {
		t.Error(problem)
	}
	if pg := b.get("/orgs/client/audit?action=org."); strings.Contains(pg.Body, mine) {
		t.Error("the action filter does not narrow the organisation's audit")
	}
	if pg := b.get("/orgs/agency/audit"); pg.Status != http.StatusNotFound {
		t.Errorf("the client's admin on the agency's audit: %d, want 404", pg.Status)
	}
	if pg := p.orgAdmin(t, "boss@agency.example", p.agency).get("/orgs/agency/audit"); !strings.Contains(pg.Body, mine) || !strings.Contains(pg.Body, theirs) {
		t.Error("the agency's admin does not read its own and its client's rows")
	}
}
