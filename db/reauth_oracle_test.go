package db_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/pquerna/otp/totp"
)

// TestReauthIsNoPasswordOracle: with a stolen session cookie, the
// re-authentication and password pages answered right or wrong for every
// guess, slowed only per network (and every IPv6 /64 is a new one). A
// session now ends at its tenth wrong password, whichever page and network
// it came from, and a right password after that gets nothing; and while
// the account is under attack, re-authentication waits the account's
// backoff like a sign-in without a second factor.
func TestReauthIsNoPasswordOracle(t *testing.T) {
	ctx := context.Background()
	session := func(t *testing.T, f *attackFixture) string {
		t.Helper()
		res, err := f.d.Login(ctx, "admin@example.org", testPassword, "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		code, _ := totp.GenerateCode(f.secret, f.clk.Now())
		full, err := f.d.LoginSecondFactor(ctx, res.PendingToken, code, "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		f.clk.Advance(30 * time.Second)
		return full.Token
	}
	t.Run("SessionEndsAtTheCap", func(t *testing.T) {
		f := newAttackFixture(t)
		stolen, own := session(t, f), session(t, f)
		var err error
		wrong := 0
		// The session ended: a refusal that asks to sign in again.
		ended := func(err error) bool { return db.ErrorCode(err) == db.EUNAUTHORIZED }
		for i := 0; i < 200 && !ended(err); i++ {
			f.clk.Advance(200 * time.Millisecond)
			addr := fmt.Sprintf("2001:db8:%x::1", i)
			if i%2 == 0 {
				err = f.d.Reauthenticate(ctx, stolen, fmt.Sprintf("guess %d", i), addr)
			} else {
				_, err = f.d.ChangePassword(ctx, stolen, fmt.Sprintf("guess %d", i), "a new long passphrase", "a new long passphrase", addr)
			}
			if db.ErrorFields(err) != nil || ended(err) {
				wrong++
			}
		}
		t.Logf("wrong guesses answered before the session ended: %d", wrong)
		if !ended(err) || wrong != 10 {
			t.Errorf("after %d wrong guesses from as many networks: %v, want the session ended at the tenth", wrong, err)
		}
		if err := f.d.Reauthenticate(ctx, stolen, testPassword, "2001:db8:ffff::1"); err == nil {
			t.Error("the right password after the cap re-authenticated the stolen session: the guesses go on")
		}
		if _, err := f.d.UserBySession(ctx, own); err != nil {
			t.Errorf("the user's other session ended too: %v", err)
		}
	})
	t.Run("AccountBackoffHoldsReauthBack", func(t *testing.T) {
		f := newAttackFixture(t)
		stolen := session(t, f)
		for i := 0; i < 10; i++ { // the account comes under attack, from anywhere
			f.clk.Advance(time.Second)
			_, _ = f.d.Login(ctx, "admin@example.org", "x", fmt.Sprintf("198.51.%d.7", i/2))
		}
		err := f.d.Reauthenticate(ctx, stolen, "guess", "2001:db8:1::1")
		var locked *db.Error
		if !asLocked(err, &locked) {
			t.Fatalf("re-authentication from a fresh network while the account is under attack: %v, want it held back", err)
		}
		f.clk.Advance(locked.RetryAfter)
		if err := f.d.Reauthenticate(ctx, stolen, testPassword, "2001:db8:1::1"); err != nil {
			t.Errorf("the right password after the backoff: %v", err)
		}
	})
}
