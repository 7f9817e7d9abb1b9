package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/disclose/disclose/db"
)

// TestOrgMailboxChange: an organisation's admin changes a mailbox's filter
// and program without retyping the password (kept, never shown), is held to
// public servers over TLS on a change as on adding (what was typed stays in
// the form), and removes the mailbox. A mailbox of another organisation
// answers 404 under this one's address, and every change is audited.
func TestOrgMailboxChange(t *testing.T) {
	p := newOrgPortal(t)
	ctx := context.Background()
	const secret = "hunter2-imap-secret"
	m, err := p.DB.CreateMailbox(ctx, &db.NewMailbox{Mailbox: db.Mailbox{OrgID: p.client.ID, ProgramID: p.prog.ID,
		Addr: "imap.client.example:993", TLS: "tls", User: "security@client.example"}, Password: secret}, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := p.DB.CreateMailbox(ctx, &db.NewMailbox{Mailbox: db.Mailbox{OrgID: p.agency.ID, ProgramID: p.agencyProg.ID,
		Addr: "imap.agency.example:993", TLS: "tls", User: "security@agency.example"}, Password: "agency-pw"}, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	b := p.orgAdmin(t, "admin@client.example", p.client)
	path := "/orgs/client/mailboxes/" + itoa(m.ID)
	pg := b.get(path)
	if pg.Status != http.StatusOK || !strings.Contains(pg.Body, "imap.client.example:993") || strings.Contains(pg.Body, secret) {
		t.Fatalf("GET %s: %d, want the form without the password", path, pg.Status)
	}
	a11y := func(name string, body string) {
		t.Helper()
		doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		for _, problem := range a11yProblems(doc) {
			t.Errorf("%s: %s", name, problem)
		}
	}
	a11y("change form", pg.Body)
	orgPage := b.get("/orgs/client").Body
	a11y("organisation page", orgPage)
	if !strings.Contains(orgPage, `href="`+path+`"`) {
		t.Error("the organisation page has no link to change the mailbox")
	}
	for _, other := range []string{"/orgs/client/mailboxes/" + itoa(theirs.ID), "/orgs/client/mailboxes/999", "/orgs/client/mailboxes/x"} {
		if pg := b.get(other); pg.Status != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", other, pg.Status)
		}
		if pg := b.post(other+"/remove", nil); pg.Status != http.StatusNotFound {
			t.Errorf("POST %s/remove: %d, want 404", other, pg.Status)
		}
	}
	form := url.Values{"imap_addr": {"10.0.0.5:993"}, "imap_tls": {"tls"}, "imap_user": {"security@client.example"},
		"program": {p.prog.Slug}, "subject_contains": {"Security Concern"}, "mailbox": {"INBOX"}, "processed": {"Processed"}}
	pg = b.post(path, form)
	if pg.Status != http.StatusUnprocessableEntity || !strings.Contains(pg.Body, `value="Security Concern"`) || !strings.Contains(pg.Body, `value="10.0.0.5:993"`) {
		t.Errorf("a private server: %d, want 422 with what was typed kept", pg.Status)
	}
	a11y("refused change", pg.Body)
	form.Set("imap_addr", "imap.client.example:993")
	if pg := b.post(path, form); pg.Status != http.StatusSeeOther {
		t.Fatalf("changing the filter: %d", pg.Status)
	}
	boxes, err := p.DB.MailboxesForIntake(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, bx := range boxes {
		if bx.ID == m.ID && (bx.SubjectContains != "Security Concern" || bx.Password != secret) {
			t.Errorf("after the change: filter %q, password kept %v", bx.SubjectContains, bx.Password == secret)
		}
		if bx.ID == theirs.ID && bx.Password != "agency-pw" {
			t.Error("the other organisation's mailbox changed")
		}
	}
	if pg := b.post(path+"/remove", nil); pg.Status != http.StatusSeeOther {
		t.Fatalf("removing: %d", pg.Status)
	}
	if boxes, _ := p.DB.Mailboxes(ctx, nil); len(boxes) != 1 || boxes[0].ID != theirs.ID {
		t.Errorf("after removing: %d mailboxes left, want the agency's only", len(boxes))
	}
	page, err := p.DB.ListAudit(ctx, db.AuditFilter{Action: "mailbox."})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range page.Entries {
		got = append(got, e.Action+" by "+e.Actor)
	}
	if want := "mailbox.delete by admin@client.example,mailbox.update by admin@client.example"; !strings.HasPrefix(strings.Join(got, ","), want) {
		t.Errorf("audit: %v, want %s first", got, want)
	}
}

// TestOrgHostRemovePage: the site admin removes a host name of an
// organisation from its page; that host's public pages are then the default
// organisation's. An organisation's admin may not (hosts are the
// operator's: a host decides whose pages a domain serves).
func TestOrgHostRemovePage(t *testing.T) {
	p := newOrgPortal(t)
	if pg := p.orgAdmin(t, "admin@client.example", p.client).post("/orgs/client/hosts/remove", url.Values{"host": {"reports.client.example"}}); pg.Status != http.StatusForbidden {
		t.Errorf("the client's admin removing its host: %d, want 403", pg.Status)
	}
	p.mustUser(t, "operator@example.org", db.RoleAdmin)
	op := p.browser(t)
	op.mustLogin("operator@example.org")
	page := op.get("/orgs/client").Body
	if !strings.Contains(page, `value="reports.client.example"`) {
		t.Fatal("the organisation page offers no removal of its host")
	}
	if pg := op.post("/orgs/client/hosts/remove", url.Values{"host": {"nowhere.example"}}); pg.Status != http.StatusUnprocessableEntity {
		t.Errorf("removing a host the organisation does not have: %d, want 422", pg.Status)
	}
	if pg := op.post("/orgs/client/hosts/remove", url.Values{"host": {"reports.client.example"}}); pg.Status != http.StatusSeeOther {
		t.Fatalf("removing the host: %d", pg.Status)
	}
	if o, err := p.DB.OrgForHost(context.Background(), "reports.client.example"); err != nil || o.ID != db.DefaultOrgID {
		t.Errorf("after removal the host serves %v (%v), want the default organisation", o, err)
	}
}
