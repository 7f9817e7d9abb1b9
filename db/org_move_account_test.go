package db_test

import (
	"context"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
)

// TestMoveProgramSharedAccountSpelling: the sibling reads one IMAP account
// through two mailboxes feeding two programs, the second spelt otherwise
// (user case, host case and trailing dot, port by name), as IMAP servers
// and resolvers accept. Moving one program is refused: the account and
// its password do not go to the client under another spelling.
func TestMoveProgramSharedAccountSpelling(t *testing.T) {
	for _, c := range []struct{ name, addr, user string }{
		{"user case", "imap.sibling.example:993", "Security@Sibling.example"},
		{"host spelling", "IMAP.Sibling.Example.:993", "security@sibling.example"},
		{"port name", "imap.sibling.example:imaps", "security@sibling.example"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			f := newOrgFixture(t)
			d := f.DB
			p2 := db.NewProgramDefaults()
			p2.Name, p2.Slug, p2.Prefix, p2.OrgID = "sibling-web", "sibling-web", "SIBW", f.Sibling.ID
			web, err := d.SaveProgram(ctx, p2, nil, db.ActorSystem)
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range []struct {
				p                  *db.Program
				addr, user, folder string
			}{{web, "imap.sibling.example:993", "security@sibling.example", "Web"}, {f.PSibling, c.addr, c.user, "INBOX"}} {
				if _, err := d.CreateMailbox(ctx, &db.NewMailbox{Mailbox: db.Mailbox{OrgID: f.Sibling.ID, ProgramID: b.p.ID, Addr: b.addr, TLS: "tls",
					User: b.user, Name: b.folder, Processed: "Processed"}, Password: "account-pw"}, db.ActorSystem); err != nil {
					t.Fatal(err)
				}
			}
			res, err := d.MoveProgram(ctx, f.PSibling.ID, f.Client.Slug, db.ActorSystem)
			if msg := db.ErrorFields(err)["to"]; !strings.Contains(msg, "shares its mail account") {
				t.Fatalf("the program moved with the sibling's shared account spelt %s %s: %v (moved %v)", c.user, c.addr, err, res)
			}
		})
	}
}

// TestMailboxKeptPasswordFolders: after a program's mailbox moved to the
// client, the client's admin cannot turn the kept password on the
// account's other folders: a new folder or processed folder needs the
// password typed again; a filter change keeps it.
func TestMailboxKeptPasswordFolders(t *testing.T) {
	ctx := context.Background()
	f := newOrgFixture(t)
	d := f.DB
	m, err := d.CreateMailbox(ctx, &db.NewMailbox{Mailbox: db.Mailbox{OrgID: f.Sibling.ID, ProgramID: f.PSibling.ID, Addr: "imap.sibling.example:993",
		TLS: "tls", User: "sec@sibling.example", Name: "INBOX", Processed: "Processed"}, Password: "account-pw"}, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.MoveProgram(ctx, f.PSibling.ID, f.Client.Slug, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	edit := func(name, processed, subject, password string) error {
		_, err := d.UpdateMailbox(ctx, &db.NewMailbox{Mailbox: db.Mailbox{ID: m.ID, OrgID: f.Client.ID, ProgramID: f.PSibling.ID, Addr: m.Addr,
			TLS: m.TLS, User: m.User, Name: name, Processed: processed, SubjectContains: subject}, Password: password}, db.Actor{Name: "boss@client.example"})
		return err
	}
	if err := edit("Web", "Processed", "", ""); db.ErrorFields(err)["imap_password"] == "" {
		t.Errorf("the client's admin pointed the moved mailbox at the folder Web with the kept password: %v", err)
	}
	if err := edit("INBOX", "Sent", "", ""); db.ErrorFields(err)["imap_password"] == "" {
		t.Errorf("the client's admin pointed the processed folder at Sent with the kept password: %v", err)
	}
	if err := edit("INBOX", "Processed", "[security]", ""); err != nil {
		t.Errorf("a filter change with the kept password: %v", err)
	}
	if err := edit("Web", "Processed", "", "typed-again"); err != nil {
		t.Errorf("a folder change with the password typed: %v", err)
	}
}
