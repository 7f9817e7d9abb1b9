package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
)

// TestOrgAdminCreatesClient: an organisation's admin creates a client of
// it (one level only), whose slug is namespaced under its own, so that a
// slug probe tells nothing about other tenants; a program's URL name is
// namespaced the same way.
func TestOrgAdminCreatesClient(t *testing.T) {
	p := newOrgPortal(t)
	ctx := context.Background()
	rival, err := p.DB.CreateOrg(ctx, &db.NewOrg{Slug: "rival-secret", Name: "Rival"}, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	rp := db.NewProgramDefaults()
	rp.Name, rp.Slug, rp.Prefix, rp.OrgID = "Rival app", "rival-app", "RIV", rival.ID
	if _, err := p.DB.SaveProgram(ctx, rp, nil, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	boss := p.orgAdmin(t, "boss@agency.example", p.agency)
	boss.get("/orgs/agency")
	pg := boss.post("/orgs/agency/children", url.Values{"child_name": {"Shop"}, "child_slug": {"shop"}})
	if pg.Status != http.StatusSeeOther || pg.Location != "/orgs/agency-shop?saved=1" {
		t.Fatalf("creating a client: %d %q", pg.Status, pg.Location)
	}
	shop, err := p.DB.OrgBySlug(ctx, "agency-shop")
	if err != nil || shop.ParentID != p.agency.ID {
		t.Fatalf("the new client: %+v %v", shop, err)
	}
	if pg := boss.get("/orgs/agency-shop"); pg.Status != http.StatusOK {
		t.Errorf("the agency's admin on its new client: %d", pg.Status)
	}
	// A slug another tenant uses is no answer: it lands in the namespace.
	if pg := boss.post("/orgs/agency/children", url.Values{"child_name": {"Probe"}, "child_slug": {"rival-secret"}}); pg.Status != http.StatusSeeOther ||
		pg.Location != "/orgs/agency-rival-secret?saved=1" {
		t.Errorf("probing another tenant's slug: %d %q", pg.Status, pg.Location)
	}
	if pg := boss.post("/orgs/agency/programs", url.Values{"program_name": {"Probe"}, "slug": {"rival-app"}, "prefix": {"PRB"}}); pg.Status != http.StatusSeeOther {
		t.Errorf("probing another tenant's program slug: %d, want 303 (namespaced)", pg.Status)
	}
	if pr, err := p.DB.ProgramBySlug(ctx, "agency-rival-app"); err != nil || pr.OrgID != p.agency.ID {
		t.Errorf("the probe's program: %v", err)
	}
	// One level: a client has no clients, whoever asks.
	if pg := boss.post("/orgs/client/children", url.Values{"child_name": {"Deep"}, "child_slug": {"deep"}}); pg.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(pg.Body, "cannot have clients") {
		t.Errorf("a client of a client: %d", pg.Status)
	}
	cb := p.orgAdmin(t, "admin@client.example", p.client)
	if pg := cb.post("/orgs/agency/children", url.Values{"child_name": {"X"}, "child_slug": {"x"}}); pg.Status != http.StatusNotFound {
		t.Errorf("a client's admin creating a client of the agency: %d, want 404", pg.Status)
	}
	audit, err := p.DB.ListAudit(ctx, db.AuditFilter{Action: "org.create", Actor: "boss@agency.example", Limit: 10})
	if err != nil || len(audit.Entries) != 2 {
		t.Errorf("org.create audit rows by the agency's admin: %d %v", len(audit.Entries), err)
	}
}

// TestSiteAdminMovesProgram: the site admin gives a program to another
// organisation; its reports follow (the old organisation's people lose
// them, the new one's get them), its references stay, the move is
// audited. The default program and a program fed by an organisation's
// mailbox do not move; an organisation's admin cannot move programs.
func TestSiteAdminMovesProgram(t *testing.T) {
	p := newOrgPortal(t)
	ctx := context.Background()
	other, err := p.DB.CreateOrg(ctx, &db.NewOrg{Slug: "other", Name: "Other"}, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := p.DB.CreateReport(ctx, &db.NewReport{ProgramID: p.prog.ID, Source: db.SourceWeb, Title: "Cart XSS", Description: "d",
		Reporter: db.Reporter{Credit: db.CreditAnonymous}})
	if err != nil {
		t.Fatal(err)
	}
	clientAdmin := p.orgAdmin(t, "admin@client.example", p.client)
	otherAdmin := p.orgAdmin(t, "admin@other.example", other)
	if pg := clientAdmin.get("/triage/reports/" + rc.Ref); pg.Status != http.StatusOK {
		t.Fatalf("the client's admin before the move: %d", pg.Status)
	}
	move := "/orgs/client/programs/" + itoa(p.prog.ID) + "/move"
	if pg := clientAdmin.post(move, url.Values{"to": {"other"}}); pg.Status != http.StatusForbidden {
		t.Errorf("an organisation's admin moving a program: %d, want 403", pg.Status)
	}
	p.mustUser(t, "root@example.org", db.RoleAdmin)
	root := p.browser(t)
	root.mustLogin("root@example.org")
	if pg := root.post("/orgs/agency/programs/"+itoa(p.prog.ID)+"/move", url.Values{"to": {"other"}}); pg.Status != http.StatusNotFound {
		t.Errorf("moving a program named under an organisation it is not of: %d, want 404", pg.Status)
	}
	if pg := root.post("/orgs/default/programs/"+itoa(p.defaultProg.ID)+"/move", url.Values{"to": {"other"}}); pg.Status != http.StatusUnprocessableEntity {
		t.Errorf("moving the default program: %d, want 422", pg.Status)
	}
	pg := root.post(move, url.Values{"to": {"other"}})
	if pg.Status != http.StatusSeeOther || pg.Location != "/orgs/other?saved=1" {
		t.Fatalf("the move: %d %q", pg.Status, pg.Location)
	}
	if pg := clientAdmin.get("/triage/reports/" + rc.Ref); pg.Status != http.StatusNotFound {
		t.Errorf("the client's admin after the move: %d, want 404", pg.Status)
	}
	if pg := otherAdmin.get("/triage/reports/" + rc.Ref); pg.Status != http.StatusOK || !strings.Contains(pg.Body, "Cart XSS") {
		t.Errorf("the new organisation's admin after the move: %d", pg.Status)
	}
	moved, err := p.DB.ProgramByID(ctx, p.prog.ID)
	if err != nil || moved.OrgID != other.ID || moved.Prefix != "SHOP" {
		t.Errorf("the moved program: %+v %v", moved, err)
	}
	audit, err := p.DB.ListAudit(ctx, db.AuditFilter{Action: "program.move", Limit: 10})
	if err != nil || len(audit.Entries) != 1 || !strings.Contains(audit.Entries[0].Detail, "from=client to=other") {
		t.Errorf("program.move audit: %+v %v", audit.Entries, err)
	}
	// A program whose mailbox shares its account with another program's
	// stays (org_move_mailbox_test.go: one of its own goes with it).
	p2 := db.NewProgramDefaults()
	p2.Name, p2.Slug, p2.Prefix, p2.OrgID = "Other web", "other-web", "OWEB", other.ID
	web, err := p.DB.SaveProgram(ctx, p2, nil, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	for i, prog := range []int64{web.ID, p.prog.ID} {
		if _, err := p.DB.CreateMailbox(ctx, &db.NewMailbox{Mailbox: db.Mailbox{OrgID: other.ID, ProgramID: prog, Addr: "imap.other.example:993", TLS: "tls",
			User: "u", Name: []string{"INBOX", "Shop"}[i], Processed: "Processed"}, Password: "pw"}, db.ActorSystem); err != nil {
			t.Fatal(err)
		}
	}
	if pg := root.post("/orgs/other/programs/"+itoa(p.prog.ID)+"/move", url.Values{"to": {"client"}}); pg.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(pg.Body, "shares its mail account") {
		t.Errorf("moving a program a shared mailbox feeds: %d", pg.Status)
	}
}
