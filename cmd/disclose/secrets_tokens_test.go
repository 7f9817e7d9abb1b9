package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
)

// TestSecretsResetRevokesAPITokens: API tokens are keyed hashes under the
// local key, so after secrets reset none would verify again. The reset
// revokes them, names each owner and token in its output, audits each
// revocation, and says what becomes of the other keyed hashes. Before
// (review6 F8) every token silently stopped working and the output said
// nothing of them.
func TestSecretsResetRevokesAPITokens(t *testing.T) {
	ctx := context.Background()
	f, d := newSecretsFixture(t)
	u, err := d.UserByEmail(ctx, "alice@example.org")
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := d.CreateAPIToken(ctx, u.ID, db.NewAPIToken{Name: "ci", Scope: db.ScopeRead}, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	if err := os.Remove(filepath.Join(f.data, db.LocalKeyFile)); err != nil {
		t.Fatal(err)
	}
	out, err := runCLI(t, "secrets", "reset", "--data", f.data)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{"1 API tokens were revoked", "alice@example.org: API token", "(ci)", "issues a new one", "address hashes"} {
		if !strings.Contains(out, want) {
			t.Errorf("the reset does not tell %q:\n%s", want, out)
		}
	}
	d, err = db.Open(ctx, filepath.Join(f.data, "disclose.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if left, err := d.APITokens(ctx, u.ID); err != nil || len(left) != 0 {
		t.Fatalf("alice's tokens after the reset: %d, %v; want none (revoked)", len(left), err)
	}
	page, err := d.ListAudit(ctx, db.AuditFilter{Action: "api.token.revoke"})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Entries) != 1 || page.Entries[0].Target != "alice@example.org" || !strings.Contains(page.Entries[0].Detail, "local key lost") {
		t.Fatalf("audit of the revocation: %+v (token %d)", page.Entries, tok.ID)
	}
}
