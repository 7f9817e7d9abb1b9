package db_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
)

// TestAPITokenStorage: the table keeps a keyed hash of a token, never the
// token; fields are checked; an account holds at most db.MaxAPITokens.
func TestAPITokenStorage(t *testing.T) {
	ctx := context.Background()
	f := newTriageFixture(t)
	d := f.DB
	tok, secret, err := d.CreateAPIToken(ctx, f.Triager.ID, db.NewAPIToken{Name: "ci", Scope: db.ScopeWrite, Expires: 24 * time.Hour}, f.Actor)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, "dsc_") || len(secret) != 47 {
		t.Fatalf("token %q", secret)
	}
	var stored []byte
	if err := d.Update(ctx, func(ctx context.Context, tx *db.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT token_hash FROM api_tokens WHERE id = ?`, tok.ID).Scan(&stored)
	}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(stored), secret[4:]) || len(stored) != 32 || string(stored) == string(d.LocalKey().Hash("other", []byte(secret))) ||
		string(stored) != string(d.LocalKey().Hash("api-token", []byte(secret))) {
		t.Fatalf("stored %x: not the keyed hash of the token", stored)
	}
	for name, in := range map[string]db.NewAPIToken{
		"name":    {Name: " ", Scope: db.ScopeRead},
		"scope":   {Name: "x", Scope: "root"},
		"expires": {Name: "x", Scope: db.ScopeRead, Expires: 10 * 366 * 24 * time.Hour},
		"org":     {Name: "x", Scope: db.ScopeRead, OrgSlug: "nowhere"},
	} {
		if _, _, err := d.CreateAPIToken(ctx, f.Triager.ID, in, f.Actor); db.ErrorFields(err)[name] == "" {
			t.Errorf("%s: %v", name, err)
		}
	}
	for i := 1; i < db.MaxAPITokens; i++ {
		if _, _, err := d.CreateAPIToken(ctx, f.Triager.ID, db.NewAPIToken{Name: fmt.Sprint(i), Scope: db.ScopeRead}, f.Actor); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := d.CreateAPIToken(ctx, f.Triager.ID, db.NewAPIToken{Name: "one too many", Scope: db.ScopeRead}, f.Actor); db.ErrorFields(err)["name"] == "" {
		t.Fatalf("token %d: %v", db.MaxAPITokens+1, err)
	}
}
