package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
)

// orgAdmin signs in a new user who is admin of o only.
func (p *orgPortal) orgAdmin(t *testing.T, email string, o *db.Organisation) *browser {
	t.Helper()
	u := p.mustUser(t, email, db.RoleViewer)
	if err := p.DB.SetOrgMember(context.Background(), o.ID, u.ID, db.RoleAdmin, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	b := p.browser(t)
	b.mustLogin(email)
	return b
}

// TestOrgAdminPages: an agency's admin manages the agency and its client,
// nothing else; a client's people it adds see the client's reports only.
func TestOrgAdminPages(t *testing.T) {
	p := newOrgPortal(t)
	ctx := context.Background()
	b := p.orgAdmin(t, "boss@agency.example", p.agency)
	list := b.get("/orgs")
	if list.Status != http.StatusOK || !strings.Contains(list.Body, `data-org="client"`) || strings.Contains(list.Body, `data-org="default"`) {
		t.Fatalf("GET /orgs: %d, want the agency and its client only", list.Status)
	}
	for _, path := range []string{"/orgs/default", "/orgs/no-such-org"} {
		if pg := b.get(path); pg.Status != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, pg.Status)
		}
	}
	b.get("/orgs/client")
	if pg := b.post("/orgs/client/hosts", url.Values{"host": {"evil.example"}}); pg.Status != http.StatusForbidden {
		t.Errorf("an org admin mapping a host: %d, want 403", pg.Status)
	}
	pg := b.post("/orgs/client/members", url.Values{"email": {"dev@client.example"}, "role": {"triager"}})
	if pg.Status != http.StatusSeeOther || oneTimeLinkRE.MatchString(b.follow(pg).Body) {
		t.Fatalf("inviting a client user: %d, or a link shown", pg.Status)
	}
	// The invitee sets the password through the mailed link, and joins.
	links := inviteLinks(t, p.portal, "dev@client.example")
	if len(links) != 1 {
		t.Fatalf("invitation mails: %d", len(links))
	}
	nb := p.browser(t)
	if pg := nb.get(links[0]); pg.Status != http.StatusOK || !strings.Contains(pg.Body, "invite-setup-form") {
		t.Fatalf("the invitation's page: %d", pg.Status)
	}
	if pg := nb.post(links[0], url.Values{"password": {testPassword}, "password2": {testPassword}}); pg.Status != http.StatusSeeOther {
		t.Fatalf("choosing the password through the invitation: %d", pg.Status)
	}
	dev, err := p.DB.UserByEmail(ctx, "dev@client.example")
	if err != nil {
		t.Fatal(err)
	}
	if dev.IsSiteAdmin() || !dev.MayWrite(p.prog.ID) || dev.MemberOf(p.agencyProg.ID) || dev.MemberOf(p.defaultProg.ID) {
		t.Errorf("the client's triager reaches more or less than the client: %v", dev.ProgramIDs)
	}
	// An account of another tenant (here: the operator's) is not drawn in,
	// and the answer is that of a new address: an invitation.
	p.mustUser(t, "operator@example.org", db.RoleAdmin)
	if pg := b.post("/orgs/client/members", url.Values{"email": {"operator@example.org"}, "role": {"viewer"}}); pg.Status != http.StatusSeeOther {
		t.Errorf("inviting another tenant's account: %d, want 303 like any address", pg.Status)
	}
	if op, _ := p.DB.UserByEmail(ctx, "operator@example.org"); len(op.Orgs) != 0 {
		t.Error("the operator's account became a member of the client")
	}
	// Mailboxes: a loopback or private server is refused to an org admin;
	// the password is sealed and never shown.
	for _, addr := range []string{"127.0.0.1:143", "10.0.0.5:993", "localhost:993"} {
		pg := b.post("/orgs/client/mailboxes", url.Values{"imap_addr": {addr}, "imap_tls": {"tls"}, "imap_user": {"u"},
			"imap_password": {"pw"}, "program": {p.prog.Slug}})
		if pg.Status != http.StatusUnprocessableEntity {
			t.Errorf("mailbox on %s: %d, want 422", addr, pg.Status)
		}
	}
	const secret = "hunter2-imap-secret"
	pg = b.post("/orgs/client/mailboxes", url.Values{"imap_addr": {"imap.client.example:993"}, "imap_tls": {"tls"}, "imap_user": {"security@client.example"},
		"imap_password": {secret}, "program": {p.prog.Slug}, "subject_contains": {"Security Concern"}})
	if pg.Status != http.StatusSeeOther {
		t.Fatalf("adding a mailbox: %d", pg.Status)
	}
	if pg := b.post("/orgs/client/mailboxes", url.Values{"imap_addr": {"imap.client.example:993"}, "imap_tls": {"tls"}, "imap_user": {"x"},
		"imap_password": {"pw"}, "program": {p.defaultProg.Slug}}); pg.Status != http.StatusUnprocessableEntity {
		t.Errorf("a mailbox feeding another organisation's program: %d, want 422", pg.Status)
	}
	page := b.get("/orgs/client").Body
	if !strings.Contains(page, "imap.client.example:993") || strings.Contains(page, secret) {
		t.Error("the organisation page does not list the mailbox, or shows its password")
	}
	boxes, err := p.DB.MailboxesForIntake(ctx)
	if err != nil || len(boxes) != 1 || boxes[0].Password != secret || boxes[0].OrgID != p.client.ID {
		t.Fatalf("stored mailboxes: %+v, %v", boxes, err)
	}
	var stored string
	if err := p.DB.Update(ctx, func(ctx context.Context, tx *db.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT imap_password FROM mailboxes`).Scan(&stored)
	}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(stored, secret) || !db.IsLocallySealed(stored) {
		t.Error("the IMAP password is stored in clear")
	}
	// The client's own admin manages the client, not its parent.
	cb := p.orgAdmin(t, "admin@client.example", p.client)
	if pg := cb.get("/orgs/agency"); pg.Status != http.StatusNotFound {
		t.Errorf("a client's admin on the agency: %d, want 404", pg.Status)
	}
	if pg := cb.get("/orgs/client"); pg.Status != http.StatusOK {
		t.Errorf("a client's admin on the client: %d", pg.Status)
	}
}
