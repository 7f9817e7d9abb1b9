package db_test

import (
	"context"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
)

// TestMoveProgramCarriesMailbox: a program fed by a mailbox of its own
// moves with the mailbox, whose stored password the intake still opens;
// the old organisation no longer has the mailbox, and the move is on both
// organisations' audit logs. A mailbox sharing its account with another
// program's mailbox stops the move, which then changes nothing and names
// the mailbox.
func TestMoveProgramCarriesMailbox(t *testing.T) {
	ctx := context.Background()
	f := newOrgFixture(t)
	d := f.DB
	box := func(p *db.Program, user, folder string) *db.Mailbox {
		t.Helper()
		m, err := d.CreateMailbox(ctx, &db.NewMailbox{Mailbox: db.Mailbox{OrgID: p.OrgID, ProgramID: p.ID, Addr: "imap.sibling.example:993", TLS: "tls",
			User: user, Name: folder, Processed: "Processed"}, Password: "pw-" + user}, db.ActorSystem)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	own := box(f.PSibling, "sec@sibling.example", "INBOX")
	p2 := db.NewProgramDefaults()
	p2.Name, p2.Slug, p2.Prefix, p2.OrgID = "sibling-web", "sibling-web", "SIBW", f.Sibling.ID
	web, err := d.SaveProgram(ctx, p2, nil, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	box(web, "contact@sibling.example", "INBOX")
	shared := box(f.PSibling, "contact@sibling.example", "Security")

	_, err = d.MoveProgram(ctx, f.PSibling.ID, f.Client.Slug, db.ActorSystem)
	if msg := db.ErrorFields(err)["to"]; !strings.Contains(msg, "#"+itoa(shared.ID)+" contact@sibling.example") {
		t.Fatalf("moving a program whose mailbox shares an account: %v", err)
	}
	if p, _ := d.ProgramByID(ctx, f.PSibling.ID); p.OrgID != f.Sibling.ID {
		t.Fatal("the refused move moved the program")
	}
	if _, err := d.MailboxOf(ctx, f.Sibling.ID, own.ID); err != nil {
		t.Fatalf("the refused move moved a mailbox: %v", err)
	}
	if err := d.DeleteMailbox(ctx, f.Sibling.ID, shared.ID, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	res, err := d.MoveProgram(ctx, f.PSibling.ID, f.Client.Slug, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Mailboxes) != 1 || res.Mailboxes[0].ID != own.ID {
		t.Errorf("moved mailboxes %v, want #%d", res.Mailboxes, own.ID)
	}
	if _, err := d.MailboxOf(ctx, f.Sibling.ID, own.ID); db.ErrorCode(err) != db.ENOTFOUND {
		t.Errorf("the old organisation still has the mailbox: %v", err)
	}
	if m, err := d.MailboxOf(ctx, f.Client.ID, own.ID); err != nil || m.ProgramID != f.PSibling.ID {
		t.Errorf("the new organisation's mailbox: %+v %v", m, err)
	}
	intake, err := d.MailboxesForIntake(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range intake {
		if m.ID == own.ID && (m.OrgID != f.Client.ID || m.Password != "pw-sec@sibling.example" || m.OpenError != nil) {
			t.Errorf("the intake's view of the moved mailbox: org %d, opens %v", m.OrgID, m.OpenError)
		}
	}
	moved := func(o *db.Organisation) bool {
		page, err := d.ListAudit(ctx, db.AuditFilter{Org: o.ID, Action: "mailbox.move", Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		return len(page.Entries) == 1 && page.Entries[0].Target == "mailbox "+itoa(own.ID)
	}
	other, err := d.CreateOrg(ctx, &db.NewOrg{Slug: "other", Name: "Other"}, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	if !moved(f.Sibling) || !moved(f.Client) || moved(other) {
		t.Errorf("mailbox.move on the audit of sibling %v, client %v, other %v (want true, true, false)", moved(f.Sibling), moved(f.Client), moved(other))
	}
}
