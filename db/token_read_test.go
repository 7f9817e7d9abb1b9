package db_test

import (
	"context"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
)

// TestTokenInfoDoesNotTakeTheWriter: /setup/{token} is open to anyone.
// Checking a link took the one write connection (BEGIN IMMEDIATE), so a
// flood of made-up links queued in front of every submission.
func TestTokenInfoDoesNotTakeTheWriter(t *testing.T) {
	d := MustOpenDB(t)
	ctx := context.Background()
	token, err := d.FirstAdminToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	release := holdWriter(t, d) // the writer is busy with a long batch
	defer release()
	tctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	t.Run("OK", func(t *testing.T) {
		if _, err := d.TokenInfo(tctx, token); err != nil {
			t.Fatalf("a valid link while the writer is busy: %v", err)
		}
	})
	t.Run("ErrUnknownLink", func(t *testing.T) {
		if _, err := d.TokenInfo(tctx, "made-up"); err != db.ErrTokenInvalid {
			t.Fatalf("got %v, want ErrTokenInvalid", err)
		}
	})
}
