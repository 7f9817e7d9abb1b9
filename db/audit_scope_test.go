package db_test

import (
	"context"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
)

// TestAuditScope: each audit row is filed under the organisation it
// concerns and that one's parent, found from what it names (a report, a
// webhook, a mailbox, the organisation, a member's account), so that an
// organisation's admins read their organisation's and their clients' rows,
// never a sibling's, and rows about the instance stay the site admin's.
func TestAuditScope(t *testing.T) {
	ctx := context.Background()
	f := newOrgFixture(t)
	d := f.DB
	report := func(p *db.Program, title string) string {
		rc, err := d.CreateReport(ctx, &db.NewReport{ProgramID: p.ID, Source: db.SourceWeb, Title: title,
			Description: "d", Reporter: db.Reporter{Email: "r@example.net"}})
		if err != nil {
			t.Fatal(err)
		}
		return rc.Ref
	}
	clientRef, siblingRef := report(f.PClient, "client bug"), report(f.PSibling, "sibling bug")
	if _, err := d.CreateWebhook(ctx, &db.NewWebhook{ProgramID: f.PClient.ID, URL: "https://hooks.client.example/x", Format: db.WebhookGeneric, Enabled: true}, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	if _, err := d.CreateMailbox(ctx, &db.NewMailbox{Mailbox: db.Mailbox{OrgID: f.Client.ID, ProgramID: f.PClient.ID,
		Addr: "imap.client.example:993", TLS: "tls", User: "u"}, Password: "pw"}, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	if err := d.UpdateOrg(ctx, f.Client.ID, "Client", "security@client.example", "en", db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	dev := f.member(t, "dev@client.example", f.Client, db.RoleTriager)
	if err := d.SetUserDisabled(ctx, dev.ID, true, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	if err := d.SetRequire2FA(ctx, true, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	rows := func(org int64) string {
		t.Helper()
		page, err := d.ListAudit(ctx, db.AuditFilter{Org: org, Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range page.Entries {
			out = append(out, e.Action+" "+e.Target)
		}
		return strings.Join(out, "\n")
	}
	client, agency, sibling := rows(f.Client.ID), rows(f.Agency.ID), rows(f.Sibling.ID)
	for _, want := range []string{"report.submit " + clientRef, "webhook.create webhook:", "mailbox.create mailbox ", "org.edit ",
		"user.disable dev@client.example", "org.member.set dev@client.example"} {
		if !strings.Contains(client, want) {
			t.Errorf("the client's audit lacks %q:\n%s", want, client)
		}
		if !strings.Contains(agency, want) {
			t.Errorf("the agency (the client's parent) lacks %q", want)
		}
		if strings.Contains(sibling, want) {
			t.Errorf("the sibling's audit shows the client's %q", want)
		}
	}
	if !strings.Contains(sibling, "report.submit "+siblingRef) || strings.Contains(client, siblingRef) {
		t.Errorf("the sibling's report is not (only) the sibling's:\nclient:\n%s\nsibling:\n%s", client, sibling)
	}
	for _, list := range []string{client, agency, sibling} {
		if strings.Contains(list, "setting.change") {
			t.Error("a change of the instance's settings is filed under an organisation")
		}
	}
	// Pages go back from the newest row of the organisation.
	page, err := d.ListAudit(ctx, db.AuditFilter{Org: f.Client.ID, Limit: 2})
	if err != nil || len(page.Entries) != 2 || page.Next == 0 {
		t.Fatalf("first page: %v, %v", page, err)
	}
	next, err := d.ListAudit(ctx, db.AuditFilter{Org: f.Client.ID, Limit: 2, Before: page.Next})
	if err != nil || len(next.Entries) == 0 || next.Entries[0].ID >= page.Entries[1].ID {
		t.Fatalf("second page: %v, %v", next, err)
	}
}
