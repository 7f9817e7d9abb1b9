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

// TestDecoyCodeStepAlikeForEveryAddress: while an address is under attack,
// a wrong password gets a decoy code page, for an account with a second
// factor and for an address that cannot sign in (none, disabled, no
// password yet). The code step of every decoy must be counted alike: a
// real account's decoy was counted (pair, client, account; backoff after
// three) and no account's was not, so a stranger probing from one network
// saw "locked" on the third round for real accounts only.
func TestDecoyCodeStepAlikeForEveryAddress(t *testing.T) {
	ctx := context.Background()
	addresses := []struct {
		name, email string
		setup       func(t *testing.T, f *attackFixture)
	}{
		{"AccountWithSecondFactor", "admin@example.org", func(*testing.T, *attackFixture) {}},
		{"NoAccount", "nobody@example.org", func(*testing.T, *attackFixture) {}},
		{"DisabledWithSecondFactor", "gone@example.org", func(t *testing.T, f *attackFixture) {
			u := MustCreateUser(t, f.d, "gone@example.org", db.RoleTriager)
			enr, _ := f.d.StartTOTP(ctx, u.ID)
			code, _ := totp.GenerateCode(enr.Secret, f.clk.Now())
			if _, err := f.d.ConfirmTOTP(ctx, u.ID, code, u.Actor("192.0.2.1")); err != nil {
				t.Fatal(err)
			}
			if err := f.d.SetUserDisabled(ctx, u.ID, true, db.ActorSystem); err != nil {
				t.Fatal(err)
			}
		}},
		{"DisabledWithoutSecondFactor", "left@example.org", func(t *testing.T, f *attackFixture) {
			u := MustCreateUser(t, f.d, "left@example.org", db.RoleTriager)
			if err := f.d.SetUserDisabled(ctx, u.ID, true, db.ActorSystem); err != nil {
				t.Fatal(err)
			}
		}},
		{"InvitedNoPasswordYet", "new@example.org", func(t *testing.T, f *attackFixture) {
			if _, _, err := f.d.InviteUser(ctx, &db.NewUser{Email: "new@example.org", Role: db.RoleTriager}, db.ActorSystem); err != nil {
				t.Fatal(err)
			}
		}},
	}
	// probe puts email under attack from many networks, then tries from one
	// fresh network three rounds of password and code: P a code page, L/l
	// locked at the password/code step, c the code step failed, F refused.
	probe := func(t *testing.T, f *attackFixture, email string) string {
		for i := 0; i < 10; i++ {
			f.clk.Advance(time.Second)
			_, _ = f.d.Login(ctx, email, "x", fmt.Sprintf("198.51.%d.7", i/2))
		}
		out := ""
		for round := 0; round < 3; round++ {
			res, err := f.d.Login(ctx, email, "wrong", "203.0.113.9")
			var locked *db.Error
			if asLocked(err, &locked) {
				out += "L"
				continue
			}
			if err != nil || res.PendingToken == "" {
				out += "F"
				continue
			}
			out += "P"
			_, err = f.d.LoginSecondFactor(ctx, res.PendingToken, "123456", "203.0.113.9")
			switch {
			case asLocked(err, &locked):
				out += "l"
			case errors.Is(err, db.ErrSignInNotFinished):
				out += "c"
			default:
				out += "?"
			}
		}
		return out
	}
	var want string
	for _, a := range addresses {
		t.Run(a.name, func(t *testing.T) {
			f := newAttackFixture(t)
			a.setup(t, f)
			got := probe(t, f, a.email)
			if want == "" {
				want = got
				t.Logf("an account with a second factor answers %q", got)
				if got != "PcPcL" {
					t.Fatalf("the real account's decoy code steps were not counted like a wrong code: %q", got)
				}
				return
			}
			if got != want {
				t.Errorf("%s answers %q, an account with a second factor %q: a stranger tells them apart", a.email, got, want)
			}
		})
	}
}
