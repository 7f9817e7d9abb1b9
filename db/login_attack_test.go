package db_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/pquerna/otp/totp"
)

// attackFixture is an admin with a second factor, on a cheap hash so a
// hundred tries stay fast.
type attackFixture struct {
	d      *db.DB
	clk    *clock
	admin  *db.User
	secret string
}

func newAttackFixture(t *testing.T) *attackFixture {
	t.Helper()
	ctx := context.Background()
	d := MustOpenDB(t)
	d.Auth.Argon2 = db.Argon2Params{Memory: 1024, Time: 1, Threads: 1}
	clk := withClock(d)
	u := MustCreateUser(t, d, "admin@example.org", db.RoleAdmin)
	enr, err := d.StartTOTP(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	code, _ := totp.GenerateCode(enr.Secret, clk.Now())
	if _, err := d.ConfirmTOTP(ctx, u.ID, code, u.Actor("192.0.2.1")); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute) // the enrolment code is spent
	return &attackFixture{d: d, clk: clk, admin: u, secret: enr.Secret}
}

// signIn is the real admin: password, then the code her app shows now.
func (f *attackFixture) signIn(addr string) error {
	ctx := context.Background()
	res, err := f.d.Login(ctx, "admin@example.org", testPassword, addr)
	if err != nil {
		return fmt.Errorf("password step: %w", err)
	}
	if res.PendingToken == "" {
		return errors.New("password step: no second factor asked")
	}
	code, _ := totp.GenerateCode(f.secret, f.clk.Now())
	res, err = f.d.LoginSecondFactor(ctx, res.PendingToken, code, addr)
	if err != nil {
		return fmt.Errorf("code step: %w", err)
	}
	if _, err := f.d.UserBySession(ctx, res.Token); err != nil {
		return fmt.Errorf("session: %w", err)
	}
	f.clk.Advance(30 * time.Second) // each code works once
	return nil
}

// strangerTry is one wrong password, and when the password step answers
// with a login awaiting a code (the account is under attack), a guessed
// code too. It reports whether the stranger was held back (locked or
// waiting) rather than told anything.
func (f *attackFixture) strangerTry(t *testing.T, addr string) (heldBack bool) {
	t.Helper()
	ctx := context.Background()
	f.clk.Advance(time.Second) // a try a second, from wherever
	res, err := f.d.Login(ctx, "admin@example.org", "password guess #1", addr)
	var locked *db.Error
	switch {
	case asLocked(err, &locked):
		return true
	case errors.Is(err, db.ErrLoginFailed):
		return false
	case err != nil:
		t.Fatalf("stranger: %v", err)
	}
	// A decoy: even the right code of the moment must not open it.
	code, _ := totp.GenerateCode(f.secret, f.clk.Now())
	_, err = f.d.LoginSecondFactor(ctx, res.PendingToken, code, addr)
	if asLocked(err, &locked) {
		return true
	}
	if db.ErrorCode(err) != db.EUNAUTHORIZED {
		t.Fatalf("stranger's decoy login with a right code: err=%v, want it refused", err)
	}
	return false
}

// TestStrangerCannotLockOutAdmin: anyone could keep any staff account
// locked by failing five sign-ins every 15 minutes. Now a stranger's
// failures lock the stranger's network and slow the account, and the real
// admin signs in with password and code at once, from her own network.
func TestStrangerCannotLockOutAdmin(t *testing.T) {
	t.Run("OK one address", func(t *testing.T) {
		f := newAttackFixture(t)
		held := 0
		for i := 0; i < 100; i++ {
			if f.strangerTry(t, "203.0.113.9") {
				held++
			}
		}
		if held < 90 {
			t.Errorf("the stranger was held back %d times of 100, want at least 90", held)
		}
		if err := f.signIn("198.51.100.7"); err != nil {
			t.Fatalf("the admin from her own network: %v", err)
		}
		var locked *db.Error
		if _, err := f.d.Login(context.Background(), "admin@example.org", testPassword, "203.0.113.200"); !asLocked(err, &locked) {
			t.Fatalf("the stranger's /24, even with the right password: err=%v, want a locked sign-in", err)
		}
	})
	t.Run("OK many addresses", func(t *testing.T) {
		f := newAttackFixture(t)
		for i := 0; i < 100; i++ {
			f.strangerTry(t, fmt.Sprintf("203.0.%d.9", i))
		}
		if err := f.signIn("198.51.100.7"); err != nil {
			t.Fatalf("the admin from her own network: %v", err)
		}
		// The admin's network stays hers while the attack goes on.
		for i := 100; i < 120; i++ {
			f.strangerTry(t, fmt.Sprintf("203.0.%d.9", i))
		}
		if err := f.signIn("198.51.100.7"); err != nil {
			t.Fatalf("the admin again: %v", err)
		}
		page, err := f.d.ListAudit(context.Background(), db.AuditFilter{Action: "login.under_attack"})
		if err != nil || len(page.Entries) == 0 {
			t.Fatalf("no audit row says the account is under attack (%v)", err)
		}
	})
}

// TestUnderAttackPasswordTellsNothing: while an account with a second
// factor is under attack, its password step answers a right and a wrong
// password alike, including the locks that follow, so that a stranger with
// many networks cannot test passwords faster than the per-network limit
// lets them test codes.
func TestUnderAttackPasswordTellsNothing(t *testing.T) {
	ctx := context.Background()
	f := newAttackFixture(t)
	for i := 0; i < f.d.Auth.AccountBackoffAfter; i++ {
		f.strangerTry(t, fmt.Sprintf("203.0.%d.9", i))
	}
	// Four tries from one network, then a fifth (right or wrong) and a sixth.
	sixth := func(net int, fifth string) string {
		addr := fmt.Sprintf("192.0.%d.1", net)
		var locked *db.Error
		for i := 0; i < f.d.Auth.MaxAccountFailures-1; i++ {
			_, err := f.d.Login(ctx, "admin@example.org", "wrong guess", addr)
			if asLocked(err, &locked) {
				f.clk.Advance(locked.RetryAfter + time.Second)
				_, err = f.d.Login(ctx, "admin@example.org", "wrong guess", addr)
			}
			if err != nil {
				t.Fatalf("try %d: %v", i+1, err)
			}
		}
		res, err := f.d.Login(ctx, "admin@example.org", fifth, addr)
		if asLocked(err, &locked) {
			f.clk.Advance(locked.RetryAfter + time.Second)
			res, err = f.d.Login(ctx, "admin@example.org", fifth, addr)
		}
		if err != nil || res.PendingToken == "" || res.Token != "" {
			t.Fatalf("fifth try (%q): res=%+v err=%v, want a login awaiting its code", fifth, res, err)
		}
		_, err = f.d.LoginSecondFactor(ctx, res.PendingToken, "000000", addr)
		if !errors.Is(err, db.ErrSignInNotFinished) && !asLocked(err, &locked) {
			t.Fatalf("wrong code after the fifth try (%q): %v", fifth, err)
		}
		_, err = f.d.Login(ctx, "admin@example.org", "anything at all", addr)
		return db.ErrorCode(err)
	}
	right, wrong := sixth(1, testPassword), sixth(2, "wrong guess")
	if right != wrong {
		t.Fatalf("after a right password the next try got %s, after a wrong one %s", right, wrong)
	}
	if right != db.ELOCKED {
		t.Fatalf("the sixth try got %s, want the network locked", right)
	}
}

// TestUnderAttackPasswordOnlyWaits: an account without a second factor has
// nothing but its password, so under attack it waits a backoff, which is
// short (AccountBackoffMax), never the 15-minute lock a stranger could
// renew forever.
func TestUnderAttackPasswordOnlyWaits(t *testing.T) {
	ctx := context.Background()
	d := MustOpenDB(t)
	d.Auth.Argon2 = db.Argon2Params{Memory: 1024, Time: 1, Threads: 1}
	clk := withClock(d)
	MustCreateUser(t, d, "tri@example.org", db.RoleTriager)
	for i := 0; i < 100; i++ {
		clk.Advance(time.Second) // a try a second, from a new network each
		d.Login(ctx, "tri@example.org", "password guess", fmt.Sprintf("203.0.%d.9", i))
	}
	_, err := d.Login(ctx, "tri@example.org", testPassword, "198.51.100.7")
	var locked *db.Error
	if !asLocked(err, &locked) {
		t.Fatalf("err=%v, want a backoff", err)
	}
	if locked.RetryAfter > d.Auth.AccountBackoffMax {
		t.Fatalf("wait %v, want at most %v", locked.RetryAfter, d.Auth.AccountBackoffMax)
	}
	clk.Advance(locked.RetryAfter + time.Second)
	if _, err := d.Login(ctx, "tri@example.org", testPassword, "198.51.100.7"); err != nil {
		t.Fatalf("after the wait: %v", err)
	}
	page, _ := d.ListAudit(ctx, db.AuditFilter{Action: "login.", Limit: 500})
	var failed int
	for _, e := range page.Entries {
		if e.Action == "login.failed" && strings.Contains(e.Target, "tri@example.org") {
			failed++
		}
	}
	if failed == 0 {
		t.Fatal("the stranger's failures are not in the audit log")
	}
}
