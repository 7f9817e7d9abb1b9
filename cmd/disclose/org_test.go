package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
)

// TestOrgCommands: organisations, their programs and users from the CLI,
// every change audited.
func TestOrgCommands(t *testing.T) {
	data := t.TempDir()
	cmd := func(args ...string) string {
		t.Helper()
		out, err := runCmd(t, append(args, "--data", data)...)
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		return out
	}
	cmd("org", "add", "--slug", "agency", "--name", "Agency", "--host", "reports.agency.example")
	cmd("org", "add", "--slug", "client", "--name", "Client", "--parent", "agency", "--host", "Reports.Client.Example", "--host", "bugs.client.example")
	if out, err := runCmd(t, "org", "add", "--data", data, "--slug", "grandchild", "--name", "G", "--parent", "client"); err == nil ||
		!strings.Contains(err.Error(), "--parent") {
		t.Errorf("a child of a child: %v %s", err, out)
	}
	if _, err := runCmd(t, "org", "add", "--data", data, "--slug", "thief", "--name", "T", "--host", "reports.client.example"); err == nil ||
		!strings.Contains(err.Error(), "--host") {
		t.Errorf("a host of another organisation: %v", err)
	}
	cmd("program", "add", "--org", "client", "--slug", "shop", "--name", "Shop", "--prefix", "SHOP")
	if _, err := runCmd(t, "program", "add", "--data", data, "--org", "agency", "--slug", "shop2", "--name", "Shop", "--prefix", "SHOP"); err == nil ||
		!strings.Contains(err.Error(), "--prefix") {
		t.Errorf("a prefix used by another organisation's program: %v", err)
	}
	out := cmd("user", "add", "--email", "cli@client.example", "--org", "client", "--role", "triager")
	if !setupLinkRE.MatchString(out) {
		t.Errorf("no setup link for a new user: %s", out)
	}
	// An account that exists is not drawn into another organisation
	// unasked: its owner gets an invitation by mail, and the operator sees
	// who created the account; --trust-existing adds it at once.
	out = cmd("user", "add", "--email", "cli@client.example", "--org", "agency", "--role", "viewer")
	if setupLinkRE.MatchString(out) || !strings.Contains(out, "has an account already: created") || !strings.Contains(out, "by cli") ||
		!strings.Contains(out, "organisations: client (triager)") || !strings.Contains(out, "Mailed cli@client.example an invitation to join agency") {
		t.Errorf("an existing account without --trust-existing: %s", out)
	}
	if users := cmd("user", "list"); strings.Contains(users, "agency:viewer") {
		t.Errorf("the invitation made a member before it was accepted:\n%s", users)
	}
	if out := cmd("user", "add", "--email", "cli@client.example", "--org", "agency", "--role", "viewer", "--trust-existing"); setupLinkRE.MatchString(out) ||
		!strings.Contains(out, "is now viewer of agency (--trust-existing)") {
		t.Errorf("--trust-existing: %s", out)
	}
	// A program moves with its reports; the default program does not.
	cmd("program", "add", "--org", "agency", "--slug", "mover", "--name", "Mover", "--prefix", "MOVE")
	if out := cmd("program", "move", "--program", "mover", "--org", "client"); !strings.Contains(out, "Moved program mover (MOVE-n) from agency to client") {
		t.Errorf("program move: %s", out)
	}
	if _, err := runCmd(t, "program", "move", "--data", data, "--program", "default", "--org", "client"); err == nil || !strings.Contains(err.Error(), "--org") {
		t.Errorf("moving the default program: %v", err)
	}
	list := cmd("org", "list")
	for _, want := range []string{"agency", "  client", "bugs.client.example,reports.client.example", "shop"} {
		if !strings.Contains(list, want) {
			t.Errorf("org list lacks %q:\n%s", want, list)
		}
	}
	users := cmd("user", "list")
	if !strings.Contains(users, "client:triager") || !strings.Contains(users, "agency:viewer") {
		t.Errorf("user list lacks the memberships:\n%s", users)
	}
	d, err := db.Open(context.Background(), filepath.Join(data, "disclose.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	u, err := d.UserByEmail(context.Background(), "cli@client.example")
	if err != nil {
		t.Fatal(err)
	}
	shop, _ := d.ProgramBySlug(context.Background(), "shop")
	def, _ := d.DefaultProgram(context.Background())
	if !u.MayWrite(shop.ID) || u.MemberOf(def.ID) || u.IsSiteAdmin() {
		t.Errorf("the client's triager: writes shop %v, sees default %v, site admin %v", u.MayWrite(shop.ID), u.MemberOf(def.ID), u.IsSiteAdmin())
	}
	pg, err := d.ListAudit(context.Background(), db.AuditFilter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, e := range pg.Entries {
		seen[e.Action]++
	}
	// program.create: the default program of the first start, shop and mover.
	for action, n := range map[string]int{"org.create": 2, "program.create": 3, "org.member.set": 2, "org.member.invite": 1, "org.member.trust_existing": 1, "program.move": 1} {
		if seen[action] != n {
			t.Errorf("%d audit entries %s, want %d", seen[action], action, n)
		}
	}
}
