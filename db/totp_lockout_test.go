package db_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/pquerna/otp/totp"
)

// TestSecondFactorLockout: someone who has the password (the case a second
// factor is for) guesses codes. A right password must not wipe the count
// of wrong codes, or alternating "password, wrong code" guesses forever.
func TestSecondFactorLockout(t *testing.T) {
	ctx := context.Background()
	d := MustOpenDB(t)
	clk := withClock(d)
	u := MustCreateUser(t, d, "alice@example.org", db.RoleAdmin)
	enr, err := d.StartTOTP(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	code, _ := totp.GenerateCode(enr.Secret, clk.Now())
	if _, err := d.ConfirmTOTP(ctx, u.ID, code, u.Actor("192.0.2.1")); err != nil {
		t.Fatal(err)
	}
	wrong := func() string {
		c, _ := totp.GenerateCode(enr.Secret, clk.Now())
		return fmt.Sprintf("%06d", (atoi(c)+1)%1000000)
	}
	// retry waits out a short backoff, as a patient attacker would.
	retry := func(f func() error) error {
		err := f()
		var locked *db.Error
		if asLocked(err, &locked) && locked.RetryAfter < d.Auth.Lockout/2 {
			clk.Advance(locked.RetryAfter + time.Second)
			err = f()
		}
		return err
	}
	for i := 0; i < d.Auth.MaxAccountFailures; i++ {
		addr := fmt.Sprintf("198.51.100.%d", i+1) // a new client each time
		var res *db.LoginResult
		err := retry(func() (err error) { res, err = d.Login(ctx, "alice@example.org", testPassword, addr); return err })
		var locked *db.Error
		if asLocked(err, &locked) {
			return // locked before the limit was even used up: fine
		} else if err != nil {
			t.Fatalf("password step %d: %v", i+1, err)
		}
		err = retry(func() error { _, err := d.LoginSecondFactor(ctx, res.PendingToken, wrong(), addr); return err })
		if !errors.Is(err, db.ErrCodeWrong) && !asLocked(err, &locked) {
			t.Fatalf("wrong code %d: %v", i+1, err)
		}
	}
	_, err = d.Login(ctx, "alice@example.org", testPassword, "203.0.113.77")
	var locked *db.Error
	if !asLocked(err, &locked) {
		t.Fatalf("after %d wrong codes: err=%v, want the account locked", d.Auth.MaxAccountFailures, err)
	}
}

func atoi(s string) int {
	n := 0
	for _, r := range s {
		n = n*10 + int(r-'0')
	}
	return n
}
