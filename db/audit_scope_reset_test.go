package db_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/disclose/disclose/db"
)

// TestAuditScopeMailboxPasswordReset: when a lost local key is reset, the
// organisation whose intake mailbox lost its IMAP password reads it on its
// own audit page (it is theirs to enter again); another organisation does
// not.
func TestAuditScopeMailboxPasswordReset(t *testing.T) {
	ctx := context.Background()
	f := newOrgFixture(t)
	d := f.DB
	if _, err := d.CreateMailbox(ctx, &db.NewMailbox{Mailbox: db.Mailbox{OrgID: f.Sibling.ID, ProgramID: f.PSibling.ID, Addr: "imap.sibling.example:993",
		TLS: "tls", User: "sec@sibling.example", Name: "INBOX", Processed: "Processed"}, Password: "pw"}, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	path := d.Path
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(filepath.Dir(path), db.LocalKeyFile)); err != nil {
		t.Fatal(err)
	}
	if out, err := db.ForgetSecrets(ctx, path, db.ActorSystem); err != nil || len(out.Mailboxes) != 1 {
		t.Fatalf("secrets reset: %+v %v", out, err)
	}
	d2, err := db.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	rows := func(o *db.Organisation) int {
		t.Helper()
		page, err := d2.ListAudit(ctx, db.AuditFilter{Org: o.ID, Action: "mailbox.password_reset", Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		return len(page.Entries)
	}
	if rows(f.Sibling) != 1 || rows(f.Client) != 0 {
		t.Errorf("mailbox.password_reset on the sibling's audit page: %d rows, the client's: %d (want 1, 0)", rows(f.Sibling), rows(f.Client))
	}
}
