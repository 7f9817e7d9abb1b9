package main

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
)

var apiTokenRE = regexp.MustCompile(`dsc_[A-Za-z0-9_-]{43}`)

// TestTokenCommands: token add prints a working token once, list shows it
// without the token, revoke ends it, and bad flags say which.
func TestTokenCommands(t *testing.T) {
	data := t.TempDir()
	if _, err := runCmd(t, "user", "add", "--data", data, "--email", "tri@example.org", "--role", "triager", "--program", "default"); err != nil {
		t.Fatal(err)
	}
	out, err := runCmd(t, "token", "add", "--data", data, "--email", "tri@example.org", "--name", "jira sync", "--scope", "write", "--expires", "90d")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	secret := apiTokenRE.FindString(out)
	if secret == "" {
		t.Fatalf("no token printed:\n%s", out)
	}
	func() {
		d, err := db.Open(context.Background(), filepath.Join(data, "disclose.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		u, tok, err := d.UserByAPIToken(context.Background(), secret)
		if err != nil || u.Email != "tri@example.org" || tok.Scope != db.ScopeWrite || tok.ExpiresAt.IsZero() {
			t.Fatalf("the printed token: %v %+v", err, tok)
		}
	}()
	out, err = runCmd(t, "token", "list", "--data", data)
	if err != nil || !strings.Contains(out, "jira sync") || !strings.Contains(out, "tri@example.org") || strings.Contains(out, secret) || strings.Contains(out, "dsc_") {
		t.Fatalf("list (%v):\n%s", err, out)
	}
	for _, bad := range [][]string{
		{"--email", "nobody@example.org", "--name", "x"},
		{"--email", "tri@example.org", "--name", "x", "--scope", "root"},
		{"--email", "tri@example.org", "--name", ""},
		{"--email", "tri@example.org", "--name", "x", "--org", "nowhere"},
		{"--email", "tri@example.org", "--name", "x", "--expires", "soon"},
	} {
		if out, err := runCmd(t, append([]string{"token", "add", "--data", data}, bad...)...); err == nil {
			t.Errorf("token add %v succeeded:\n%s", bad, out)
		}
	}
	if out, err := runCmd(t, "token", "revoke", "1", "--data", data); err != nil || !strings.Contains(out, "revoked") {
		t.Fatalf("revoke (%v):\n%s", err, out)
	}
	if _, err := runCmd(t, "token", "revoke", "1", "--data", data); err == nil {
		t.Fatal("revoking twice succeeded")
	}
	d, err := db.Open(context.Background(), filepath.Join(data, "disclose.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, _, err := d.UserByAPIToken(context.Background(), secret); db.ErrorCode(err) != db.EUNAUTHORIZED {
		t.Fatalf("a revoked token: %v", err)
	}
}
