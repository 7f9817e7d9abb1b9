package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
)

// TestProgramMoveCarriesMailbox: `disclose program move` takes along the
// mailbox that feeds the program alone, with its stored password, which
// the intake still opens; a program whose mailbox shares its account with
// another program's is refused, naming the mailbox.
func TestProgramMoveCarriesMailbox(t *testing.T) {
	data := t.TempDir()
	cmd := func(args ...string) (string, error) {
		t.Helper()
		return runCmd(t, append(args, "--data", data)...)
	}
	must := func(args ...string) string {
		t.Helper()
		out, err := cmd(args...)
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		return out
	}
	pw := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pw, []byte("the-password\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	must("org", "add", "--slug", "client", "--name", "Client")
	must("org", "add", "--slug", "buyer", "--name", "Buyer")
	must("program", "add", "--org", "client", "--slug", "shop", "--name", "Shop", "--prefix", "SHOP")
	must("program", "add", "--org", "client", "--slug", "app", "--name", "App", "--prefix", "APP")
	must("mailbox", "add", "--org", "client", "--program", "shop", "--imap-addr", "imap.client.example:993", "--imap-tls", "tls",
		"--imap-user", "shop@client.example", "--imap-password-file", pw)
	must("mailbox", "add", "--org", "client", "--program", "app", "--imap-addr", "imap.client.example:993", "--imap-tls", "tls",
		"--imap-user", "contact@client.example", "--imap-password-file", pw, "--mailbox", "INBOX")
	must("mailbox", "add", "--org", "client", "--program", "shop", "--imap-addr", "IMAP.client.example:993", "--imap-tls", "tls",
		"--imap-user", "contact@client.example", "--imap-password-file", pw, "--mailbox", "Shop")

	// The shop's second mailbox reads the account the app's mailbox reads.
	out, err := cmd("program", "move", "--program", "shop", "--org", "buyer")
	if err == nil || !strings.Contains(out+err.Error(), "#3 contact@client.example") || !strings.Contains(out+err.Error(), "#2") {
		t.Fatalf("moving a program whose mailbox shares an account: %v\n%s", err, out)
	}
	must("mailbox", "remove", "--id", "3")
	out = must("program", "move", "--program", "shop", "--org", "buyer")
	if !strings.Contains(out, "Mailbox #1 shop@client.example on imap.client.example:993 (INBOX) feeds it and moved with it") {
		t.Errorf("program move said: %s", out)
	}
	d, err := db.Open(context.Background(), filepath.Join(data, "disclose.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	boxes, err := d.MailboxesForIntake(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	buyer, err := d.OrgBySlug(context.Background(), "buyer")
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range boxes {
		if b.ID == 1 && (b.OrgID != buyer.ID || b.Password != "the-password" || b.OpenError != nil) {
			t.Errorf("the moved mailbox: org %d (want %d), password opens %v", b.OrgID, buyer.ID, b.OpenError)
		}
	}
}
