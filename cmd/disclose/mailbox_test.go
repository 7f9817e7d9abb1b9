package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
)

// TestMailboxCommands: an operator adds, lists, changes and removes an
// intake mailbox from the command line; an edit changes only what it names
// and keeps the sealed password unless given a new one; each change is
// audited; the password is never printed.
func TestMailboxCommands(t *testing.T) {
	data := t.TempDir()
	cmd := func(args ...string) string {
		t.Helper()
		out, err := runCmd(t, append(args, "--data", data)...)
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		return out
	}
	secret := func(name, pw string) string {
		f := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(f, []byte(pw+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	cmd("org", "add", "--slug", "client", "--name", "Client")
	cmd("org", "add", "--slug", "other", "--name", "Other")
	cmd("program", "add", "--org", "client", "--slug", "shop", "--name", "Shop", "--prefix", "SHOP")
	cmd("program", "add", "--org", "client", "--slug", "app", "--name", "App", "--prefix", "APP")
	cmd("program", "add", "--org", "other", "--slug", "theirs", "--name", "Theirs", "--prefix", "THR")
	cmd("mailbox", "add", "--org", "client", "--program", "shop", "--imap-addr", "imap.client.example:993", "--imap-tls", "tls",
		"--imap-user", "security@client.example", "--imap-password-file", secret("pw1", "first-password"))
	out := cmd("mailbox", "list")
	if !strings.Contains(out, "imap.client.example:993") || strings.Contains(out, "first-password") {
		t.Fatalf("mailbox list:\n%s", out)
	}

	out = cmd("mailbox", "edit", "--id", "1", "--subject-contains", "Security Concern", "--program", "app")
	if !strings.Contains(out, "Changed mailbox 1") {
		t.Errorf("edit said: %s", out)
	}
	open := func() []*db.IntakeMailbox {
		t.Helper()
		d, err := db.Open(context.Background(), filepath.Join(data, "disclose.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		boxes, err := d.MailboxesForIntake(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return boxes
	}
	boxes := open()
	if len(boxes) != 1 || boxes[0].SubjectContains != "Security Concern" || boxes[0].Addr != "imap.client.example:993" ||
		boxes[0].Password != "first-password" || boxes[0].Name != "INBOX" {
		t.Fatalf("after an edit of the filter and program: %+v", boxes[0])
	}
	if _, err := runCmd(t, "mailbox", "edit", "--data", data, "--id", "1", "--program", "theirs"); err == nil || !strings.Contains(err.Error(), "--program") {
		t.Errorf("moving a mailbox's reports to another organisation's program: %v", err)
	}
	if _, err := runCmd(t, "mailbox", "edit", "--data", data, "--id", "7", "--to", "x@example.org"); err == nil || !strings.Contains(err.Error(), "no such mailbox") {
		t.Errorf("editing a mailbox that does not exist: %v", err)
	}
	cmd("mailbox", "edit", "--id", "1", "--imap-password-file", secret("pw2", "second-password"), "--subject-contains", "")
	if b := open()[0]; b.Password != "second-password" || b.SubjectContains != "" {
		t.Errorf("after a new password and an emptied filter: password changed %v, filter %q", b.Password == "second-password", b.SubjectContains)
	}

	out = cmd("mailbox", "remove", "--id", "1")
	if !strings.Contains(out, "Removed mailbox 1") {
		t.Errorf("remove said: %s", out)
	}
	if boxes := open(); len(boxes) != 0 {
		t.Errorf("%d mailboxes after remove", len(boxes))
	}
	d, err := db.Open(context.Background(), filepath.Join(data, "disclose.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	page, err := d.ListAudit(context.Background(), db.AuditFilter{Action: "mailbox."})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range page.Entries {
		actions = append(actions, e.Action)
		if strings.Contains(e.Detail, "password") && strings.Contains(e.Detail, "second-password") {
			t.Errorf("audit carries the password: %s", e.Detail)
		}
	}
	if got := strings.Join(actions, " "); got != "mailbox.delete mailbox.update mailbox.update mailbox.create" {
		t.Errorf("audit: %s", got)
	}
}
