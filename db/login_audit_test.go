package db_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
)

// TestFailedLoginAuditKeepsNoPassword: people type their password into the
// email field. The failed login's audit row recorded whatever was typed as
// actor and target, and the audit log is append-only and hash-chained: a
// password written there can never be taken out again.
func TestFailedLoginAuditKeepsNoPassword(t *testing.T) {
	ctx := context.Background()
	d := MustOpenDB(t)
	d.Auth.MaxAccountFailures = 2
	MustCreateUser(t, d, "alice@example.org", db.RoleAdmin)
	const typed = "Tr0ub4dor&3-my-password"
	for i := 0; i < 3; i++ {
		_, err := d.Login(ctx, typed, "whatever else", "192.0.2.1")
		var locked *db.Error
		if !errors.Is(err, db.ErrLoginFailed) && !asLocked(err, &locked) {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
	}
	page, err := d.ListAudit(ctx, db.AuditFilter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range page.Entries {
		if strings.Contains(e.Actor+e.Target+e.Detail, "Tr0ub4dor") {
			t.Fatalf("audit row %s keeps what was typed as email: actor=%q target=%q", e.Action, e.Actor, e.Target)
		}
	}
	t.Run("OK an address is kept", func(t *testing.T) {
		d.Login(ctx, "mallory@example.org", "guess guess guess", "192.0.2.2")
		page, _ := d.ListAudit(ctx, db.AuditFilter{Action: "login.failed", Target: "mallory@example.org"})
		if len(page.Entries) != 1 {
			t.Fatalf("got %d rows naming the address tried, want 1", len(page.Entries))
		}
	})
}
