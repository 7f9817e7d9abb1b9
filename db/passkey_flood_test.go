package db_test

import (
	"context"
	"testing"

	"github.com/disclose/disclose/db"
)

// TestPasskeySignInsBounded: strangers starting passkey sign-ins from ever
// new networks (each within its rate limit) cannot grow the ceremonies
// kept past MaxPasskeySignIns: the next is refused (ErrPasskeyBusy) while
// a staff member's own ceremony still starts, and sign-ins start again
// once those under way expire. Before, every start added a row for five
// minutes, without bound.
func TestPasskeySignInsBounded(t *testing.T) {
	ctx := context.Background()
	f := newTriageFixture(t)
	defer func(n int) { db.MaxPasskeySignIns = n }(db.MaxPasskeySignIns)
	db.MaxPasskeySignIns = 3
	for i := range 3 {
		if _, err := f.DB.BeginPasskey(ctx, 0, db.PasskeyLogin, `{}`); err != nil {
			t.Fatalf("sign-in %d: %v", i, err)
		}
	}
	if _, err := f.DB.BeginPasskey(ctx, 0, db.PasskeySecondFactor, `{}`); err != db.ErrPasskeyBusy {
		t.Fatalf("a sign-in past the bound: %v, want ErrPasskeyBusy", err)
	}
	if _, err := f.DB.BeginPasskey(ctx, f.Triager.ID, db.PasskeyRegister, `{}`); err != nil {
		t.Fatalf("a staff member's own ceremony: %v", err)
	}
	f.advance(db.PasskeyChallengeLifetime)
	if _, err := f.DB.BeginPasskey(ctx, 0, db.PasskeyLogin, `{}`); err != nil {
		t.Fatalf("a sign-in once the others expired: %v", err)
	}
}
