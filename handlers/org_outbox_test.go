package handlers_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/disclose/disclose/db"
)

// orgMail invites someone to o and returns the id of the invitation's mail,
// the newest filed under o.
func (f *matrixFixture) orgMail(t testing.TB, o *db.Organisation) int64 {
	t.Helper()
	f.orgInvite(t, o)
	mails, err := f.env.DB.OrgMails(context.Background(), o.ID, "", 1)
	if err != nil || len(mails) != 1 {
		t.Fatalf("the invitation's mail of %s: %v", o.Slug, err)
	}
	return mails[0].ID
}

// newestMailTo is the id of the newest outbox mail to addr.
func newestMailTo(t *testing.T, p *portal, addr string) int64 {
	t.Helper()
	mails, err := p.DB.Mails(context.Background(), "", 200)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mails {
		if m.To == addr {
			return m.ID
		}
	}
	t.Fatalf("no mail to %s", addr)
	return 0
}

// TestOrgOutboxPage: an organisation's admin reads the organisation's
// outbox (linked from its page), with the site admin's columns and without
// the text of a one-time link, sends a failed mail again (audited), and
// never reads or retries a mail of an organisation it does not manage; the
// parent's admin reads its client's mail too. The page is accessible and
// its actions are forms.
func TestOrgOutboxPage(t *testing.T) {
	p := newOrgPortal(t)
	ctx := context.Background()
	_, clientToken := mustInvite(t, p.portal, p.client, "new@client.example", db.RoleViewer)
	clientMail := newestMailTo(t, p.portal, "new@client.example")
	mustInvite(t, p.portal, p.agency, "new@agency.example", db.RoleViewer)
	agencyMail := newestMailTo(t, p.portal, "new@agency.example")
	if err := p.DB.MailFailed(ctx, clientMail, "550 mailbox unavailable"); err != nil {
		t.Fatal(err)
	}
	b := p.orgAdmin(t, "admin@client.example", p.client)
	if !strings.Contains(b.get("/orgs/client").Body, `href="/orgs/client/outbox"`) {
		t.Error("the organisation page has no link to its outbox")
	}
	pg := b.get("/orgs/client/outbox")
	if pg.Status != http.StatusOK || !strings.Contains(pg.Body, "new@client.example") || strings.Contains(pg.Body, "new@agency.example") {
		t.Fatalf("GET /orgs/client/outbox: %d, want the client's invitation and not the agency's", pg.Status)
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(pg.Body))
	if err != nil {
		t.Fatal(err)
	}
	for _, problem := range a11yProblems(doc) {
		t.Error(problem)
	}
	if got := doc.Find(`[data-testid=outbox] thead th`).Length(); got != 6 {
		t.Errorf("the outbox has %d columns, want the site admin's 6", got)
	}
	if f := b.get("/orgs/client/outbox?status=failed"); !strings.Contains(f.Body, "new@client.example") || !strings.Contains(f.Body, "Failed (1)") {
		t.Error("the failed filter does not list the failed invitation with its count")
	}
	one := b.get("/orgs/client/outbox/" + itoa(clientMail))
	if one.Status != http.StatusOK || !strings.Contains(one.Body, `data-testid="mail-body-hidden"`) || strings.Contains(one.Body, clientToken) {
		t.Fatalf("GET the client's invitation: %d; the one-time link must not be shown", one.Status)
	}
	doc, _ = goquery.NewDocumentFromReader(strings.NewReader(one.Body))
	for _, problem := range a11yProblems(doc) {
		t.Error(problem)
	}
	for _, path := range []string{"/orgs/client/outbox/" + itoa(agencyMail), "/orgs/agency/outbox", "/orgs/client/outbox/999999"} {
		if pg := b.get(path); pg.Status != http.StatusNotFound {
			t.Errorf("the client's admin GET %s: %d, want 404", path, pg.Status)
		}
	}
	if pg := b.post("/orgs/client/outbox/"+itoa(agencyMail)+"/retry", nil); pg.Status != http.StatusNotFound {
		t.Errorf("the client's admin retried the agency's mail: %d, want 404", pg.Status)
	}
	// The retry is a plain form post.
	if r := b.post("/orgs/client/outbox/"+itoa(clientMail)+"/retry", nil); r.Status != http.StatusSeeOther ||
		r.Location != "/orgs/client/outbox/"+itoa(clientMail)+"?retried=1" {
		t.Fatalf("retry: %d %s", r.Status, r.Location)
	}
	if m, err := p.DB.MailByID(ctx, clientMail); err != nil || m.Status != db.OutboxPending {
		t.Errorf("after the retry the mail is %v (%v)", m, err)
	}
	if a := b.get("/orgs/client/audit?action=mail.retry"); !strings.Contains(a.Body, "outbox:"+itoa(clientMail)) {
		t.Error("the retry is not on the client's audit log")
	}
	boss := p.orgAdmin(t, "boss@agency.example", p.agency)
	if pg := boss.get("/orgs/agency/outbox"); !strings.Contains(pg.Body, "new@client.example") || !strings.Contains(pg.Body, "new@agency.example") {
		t.Error("the agency's admin does not read its own and its client's mail")
	}
}
