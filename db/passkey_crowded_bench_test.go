package db_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/disclose/disclose/db"
)

// BenchmarkPasskeyStart is a sign-in start with no other under way, and
// while the portal's bound (10,000) is full: 100 /48s of 100 ceremonies
// each, the new one from another /48 each time, so the portal's bound
// ends one of theirs. A flood makes every start the second kind: it must
// stay as cheap as the first, or the flood would hold the one writer.
func BenchmarkPasskeyStart(b *testing.B) {
	for _, full := range []int{0, db.MaxPasskeySignIns} {
		b.Run(fmt.Sprintf("kept=%d", full), func(b *testing.B) {
			ctx := context.Background()
			f := newTriageFixture(b)
			for i := range full {
				if _, _, err := f.DB.BeginPasskey(ctx, 0, db.PasskeyLogin, passkeySession, fmt.Sprintf("2001:db8:%x:%x::1", i%100, i/100)); err != nil {
					b.Fatal(err)
				}
			}
			if rows, _, _, _ := f.DB.PasskeySignInsForTest(ctx); rows != full {
				b.Fatalf("%d kept, want %d", rows, full)
			}
			b.ResetTimer()
			for i := range b.N {
				if _, crowded, err := f.DB.BeginPasskey(ctx, 0, db.PasskeyLogin, passkeySession, fmt.Sprintf("2001:db9:%x::1", i)); err != nil || crowded != (full > 0) {
					b.Fatal(crowded, err)
				}
				if full == 0 {
					f.advance(db.PasskeyChallengeLifetime)
				}
			}
		})
	}
}
