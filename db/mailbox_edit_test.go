package db_test

import (
	"context"
	"testing"

	"github.com/disclose/disclose/db"
)

// TestMailboxPasswordStaysWithItsServer: an edit that keeps the stored IMAP
// password (none typed) may not change where the mailbox connects: an
// admin who never saw the password would otherwise point the mailbox at a
// server of their own and receive it at the next poll (session 5 review).
// A change of folders or filter keeps it; a new server with the password
// typed again is fine.
func TestMailboxPasswordStaysWithItsServer(t *testing.T) {
	ctx := context.Background()
	f := newOrgFixture(t)
	d := f.DB
	m, err := d.CreateMailbox(ctx, &db.NewMailbox{Mailbox: db.Mailbox{OrgID: f.Client.ID, ProgramID: f.PClient.ID,
		Addr: "imap.client.example:993", TLS: "tls", User: "security@client.example"}, Password: "client-real-imap-password"}, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	for name, change := range map[string]func(*db.Mailbox){
		"server": func(b *db.Mailbox) { b.Addr = "imap.attacker.example:993" },
		"user":   func(b *db.Mailbox) { b.User = "other@client.example" },
		"tls":    func(b *db.Mailbox) { b.TLS = "starttls" },
	} {
		edit := *m
		change(&edit)
		if _, err := d.UpdateMailbox(ctx, &db.NewMailbox{Mailbox: edit}, db.ActorSystem); db.ErrorFields(err)["imap_password"] == "" {
			t.Errorf("a new %s kept the stored password: %v", name, err)
		}
	}
	edit := *m
	edit.SubjectContains = "Security Concern"
	if _, err := d.UpdateMailbox(ctx, &db.NewMailbox{Mailbox: edit}, db.ActorSystem); err != nil {
		t.Errorf("a new filter with the password kept: %v", err)
	}
	edit.Addr = "imap2.client.example:993"
	if _, err := d.UpdateMailbox(ctx, &db.NewMailbox{Mailbox: edit, Password: "typed-again"}, db.ActorSystem); err != nil {
		t.Errorf("a new server with the password typed again: %v", err)
	}
	list, err := d.MailboxesForIntake(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, im := range list {
		if im.ID == m.ID && (im.Addr != "imap2.client.example:993" || im.Password != "typed-again") {
			t.Errorf("stored: %s with the old password %v", im.Addr, im.Password == "client-real-imap-password")
		}
	}
}
