package db_test

import (
	"context"
	"testing"

	"github.com/disclose/disclose/db"
)

// TestOrgOutboxAccountMailIsThePersons: a person in two sibling
// organisations asks for a password reset and gets a site admin's account
// link: neither sibling (nor their parent) lists that mail on its outbox,
// the site admin's does. An action on a mail is audited under the
// organisation that acted only: the parent retrying its client's mail is
// not on the client's audit page, the client's own retry not on the
// sibling's.
func TestOrgOutboxAccountMailIsThePersons(t *testing.T) {
	f := newOrgOutboxFixture(t)
	d, ctx := f.DB, context.Background()
	u, err := d.CreateUser(ctx, &db.NewUser{Email: "both@example.org", Role: db.RoleViewer, Password: "a long enough passphrase 42"}, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []*db.Organisation{f.Client, f.Sibling} {
		if err := d.SetOrgMember(ctx, o.ID, u.ID, db.RoleTriager, db.ActorSystem); err != nil {
			t.Fatal(err)
		}
	}
	if err := requestReset(ctx, d, "both@example.org", "203.0.113.9"); err != nil {
		t.Fatal(err)
	}
	reset := f.mailTo(t, "both@example.org")
	tok, _ := db.NewResetToken()
	if err := d.MailResetLink(ctx, u.ID, false, db.ResetLink{Token: tok, Mail: linkMail(tok)}, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	link := f.mailTo(t, "both@example.org")
	if link == reset {
		t.Fatal("no account link queued")
	}
	for _, o := range []*db.Organisation{f.Client, f.Sibling, f.Agency} {
		got := orgMailIDs(t, d, o.ID, "")
		if got[reset] || got[link] || got[f.link] {
			t.Errorf("%s's outbox lists a person's account mail (reset %v, account link %v, other link %v)", o.Slug, got[reset], got[link], got[f.link])
		}
	}
	if _, err := d.OrgMailByID(ctx, f.Client.ID, reset); db.ErrorCode(err) != db.ENOTFOUND {
		t.Errorf("the client reads the person's reset mail: %v", err)
	}

	audited := func(o *db.Organisation, actor string) bool {
		t.Helper()
		page, err := d.ListAudit(ctx, db.AuditFilter{Org: o.ID, Action: "mail.retry", Actor: actor, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		return len(page.Entries) > 0
	}
	if err := d.MailFailed(ctx, f.clientAck, "550 no such user"); err != nil {
		t.Fatal(err)
	}
	parent := db.Actor{Name: "boss@agency.example", ClientAddr: "198.51.100.8"}
	if err := d.RetryOrgMail(ctx, f.Agency.ID, f.clientAck, parent); err != nil {
		t.Fatal(err)
	}
	if !audited(f.Agency, parent.Name) || audited(f.Client, parent.Name) || audited(f.Sibling, parent.Name) {
		t.Errorf("the parent's retry is audited under agency %v, client %v, sibling %v (want true, false, false)",
			audited(f.Agency, parent.Name), audited(f.Client, parent.Name), audited(f.Sibling, parent.Name))
	}
	if err := d.MailFailed(ctx, f.clientAck, "550 no such user"); err != nil {
		t.Fatal(err)
	}
	client := db.Actor{Name: "boss@client.example", ClientAddr: "198.51.100.7"}
	if err := d.RetryOrgMail(ctx, f.Client.ID, f.clientAck, client); err != nil {
		t.Fatal(err)
	}
	if !audited(f.Client, client.Name) || !audited(f.Agency, client.Name) || audited(f.Sibling, client.Name) {
		t.Errorf("the client's retry is audited under client %v, agency %v, sibling %v (want true, true, false)",
			audited(f.Client, client.Name), audited(f.Agency, client.Name), audited(f.Sibling, client.Name))
	}
	// The shared person's failed link: not the client's to send again, and
	// nothing the client does with it reaches the sibling's audit page.
	if err := d.MailFailed(ctx, link, "550 no such user"); err != nil {
		t.Fatal(err)
	}
	other := db.Actor{Name: "boss2@client.example", ClientAddr: "198.51.100.9"}
	if err := d.RetryOrgMail(ctx, f.Client.ID, link, other); db.ErrorCode(err) != db.ENOTFOUND {
		t.Errorf("the client sent the person's account link again: %v", err)
	}
	if audited(f.Sibling, other.Name) {
		t.Errorf("the sibling's audit page shows the client's admin %s (%s) retrying the person's mail", other.Name, other.ClientAddr)
	}
}

// TestOrgOutboxMoveKeepsHistory: when the client's program moves to the
// sibling, the mail already sent about its reports (to its reporters and
// to the client's staff) stays on the client's outbox, where it happened:
// the sibling does not read the client's staff addresses or what they were
// told. Mail written after the move is the sibling's.
func TestOrgOutboxMoveKeepsHistory(t *testing.T) {
	f := newOrgOutboxFixture(t)
	d, ctx := f.DB, context.Background()
	if _, err := d.MoveProgram(ctx, f.PClient.ID, f.Sibling.Slug, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	if !orgMailIDs(t, d, f.Client.ID, "")[f.clientAck] || orgMailIDs(t, d, f.Sibling.ID, "")[f.clientAck] {
		t.Error("the mail sent about the moved program's report left the client's outbox for the sibling's")
	}
	if counts, _ := d.OrgMailCounts(ctx, f.Sibling.ID); counts[db.OutboxPending] != 1 {
		t.Errorf("the sibling's counts after the move: %v", counts)
	}
	if _, err := d.CreateReport(ctx, &db.NewReport{ProgramID: f.PClient.ID, Source: db.SourceWeb, Title: "t", Description: "d",
		Reporter: db.Reporter{Email: "r3@example.net"}}); err != nil {
		t.Fatal(err)
	}
	ack := f.mailTo(t, "r3@example.net")
	if orgMailIDs(t, d, f.Client.ID, "")[ack] || !orgMailIDs(t, d, f.Sibling.ID, "")[ack] {
		t.Error("mail about a report made after the move is not the sibling's alone")
	}
}
