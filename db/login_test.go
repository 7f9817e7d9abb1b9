package db_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
)

const testPassword = "correct horse battery staple"

// MustCreateUser adds a user with testPassword.
func MustCreateUser(tb testing.TB, d *db.DB, email string, role db.Role, programs ...int64) *db.User {
	tb.Helper()
	u, err := d.CreateUser(context.Background(), &db.NewUser{Email: email, Role: role, Password: testPassword, ProgramIDs: programs}, db.ActorSystem)
	if err != nil {
		tb.Fatal(err)
	}
	return u
}

// clock is a settable db.Now.
type clock struct{ t time.Time }

func (c *clock) Now() time.Time          { return c.t }
func (c *clock) Advance(d time.Duration) { c.t = c.t.Add(d) }
func withClock(d *db.DB) *clock {
	c := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	d.Now = c.Now
	return c
}

func TestLogin(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		d := MustOpenDB(t)
		u := MustCreateUser(t, d, "alice@example.org", db.RoleTriager)
		res, err := d.Login(ctx, "Alice@Example.org", testPassword, "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		got, err := d.UserBySession(ctx, res.Token)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != u.ID {
			t.Fatalf("session user=%d, want %d", got.ID, u.ID)
		}
		if got.LastLoginAt.IsZero() {
			t.Fatal("last login not recorded")
		}
	})
	t.Run("ErrWrongPassword", func(t *testing.T) {
		d := MustOpenDB(t)
		MustCreateUser(t, d, "alice@example.org", db.RoleTriager)
		_, err := d.Login(ctx, "alice@example.org", "wrong password!!", "192.0.2.1")
		if got, want := db.ErrorMessage(err), "Email or password is wrong."; got != want {
			t.Fatalf("err=%q, want %q", got, want)
		}
	})
	t.Run("ErrUnknownSameMessage", func(t *testing.T) {
		d := MustOpenDB(t)
		_, err := d.Login(ctx, "nobody@example.org", testPassword, "192.0.2.1")
		if !errors.Is(err, db.ErrLoginFailed) {
			t.Fatalf("err=%v, want ErrLoginFailed", err)
		}
	})
	t.Run("ErrDisabled", func(t *testing.T) {
		d := MustOpenDB(t)
		u := MustCreateUser(t, d, "alice@example.org", db.RoleTriager)
		res, err := d.Login(ctx, "alice@example.org", testPassword, "")
		if err != nil {
			t.Fatal(err)
		}
		if err := d.SetUserDisabled(ctx, u.ID, true, db.ActorSystem); err != nil {
			t.Fatal(err)
		}
		if _, err := d.UserBySession(ctx, res.Token); db.ErrorCode(err) != db.EUNAUTHORIZED {
			t.Fatalf("session of disabled user: err=%v, want unauthorized", err)
		}
		if _, err := d.Login(ctx, "alice@example.org", testPassword, ""); !errors.Is(err, db.ErrLoginFailed) {
			t.Fatalf("login of disabled user: err=%v, want ErrLoginFailed", err)
		}
	})
	t.Run("ErrLockedAfterFailures", func(t *testing.T) {
		d := MustOpenDB(t)
		clk := withClock(d)
		MustCreateUser(t, d, "alice@example.org", db.RoleTriager)
		var locked *db.LockedError
		for i := 0; i < d.Auth.MaxAccountFailures; i++ {
			_, err := d.Login(ctx, "alice@example.org", "wrong password!!", "192.0.2.1")
			if errors.As(err, &locked) {
				clk.Advance(locked.Until.Sub(clk.t) + time.Second) // wait out the backoff
				_, err = d.Login(ctx, "alice@example.org", "wrong password!!", "192.0.2.1")
			}
			if !errors.Is(err, db.ErrLoginFailed) {
				t.Fatalf("attempt %d: err=%v, want ErrLoginFailed", i+1, err)
			}
		}
		// Even the right password is refused while locked, from any address.
		_, err := d.Login(ctx, "alice@example.org", testPassword, "198.51.100.7")
		if !errors.As(err, &locked) {
			t.Fatalf("err=%v, want LockedError", err)
		}
		if got, want := locked.Until, clk.t.Add(d.Auth.Lockout); !got.Equal(want) {
			t.Fatalf("locked until %v, want %v", got, want)
		}
		clk.Advance(d.Auth.Lockout + time.Second)
		if _, err := d.Login(ctx, "alice@example.org", testPassword, "198.51.100.7"); err != nil {
			t.Fatalf("after lockout: %v", err)
		}
	})
}

func TestSession(t *testing.T) {
	ctx := context.Background()
	t.Run("ErrIdle", func(t *testing.T) {
		d := MustOpenDB(t)
		clk := withClock(d)
		u := MustCreateUser(t, d, "alice@example.org", db.RoleViewer)
		token, err := d.CreateSession(ctx, u.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		clk.Advance(d.Auth.SessionIdle - time.Minute)
		if _, err := d.UserBySession(ctx, token); err != nil {
			t.Fatalf("before idle timeout: %v", err)
		}
		clk.Advance(d.Auth.SessionIdle - time.Minute) // used a minute short of idle: still alive
		if _, err := d.UserBySession(ctx, token); err != nil {
			t.Fatalf("kept alive by use: %v", err)
		}
		clk.Advance(d.Auth.SessionIdle)
		if _, err := d.UserBySession(ctx, token); db.ErrorCode(err) != db.EUNAUTHORIZED {
			t.Fatalf("after idle timeout: err=%v, want unauthorized", err)
		}
	})
	t.Run("ErrAbsolute", func(t *testing.T) {
		d := MustOpenDB(t)
		clk := withClock(d)
		u := MustCreateUser(t, d, "alice@example.org", db.RoleViewer)
		token, err := d.CreateSession(ctx, u.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		for elapsed := time.Duration(0); elapsed < d.Auth.SessionLifetime-d.Auth.SessionIdle; elapsed += d.Auth.SessionIdle / 2 {
			clk.Advance(d.Auth.SessionIdle / 2)
			if _, err := d.UserBySession(ctx, token); err != nil {
				t.Fatalf("at %v: %v", elapsed, err)
			}
		}
		clk.Advance(d.Auth.SessionIdle)
		if _, err := d.UserBySession(ctx, token); db.ErrorCode(err) != db.EUNAUTHORIZED {
			t.Fatalf("after lifetime: err=%v, want unauthorized", err)
		}
	})
	t.Run("LogoutEndsIt", func(t *testing.T) {
		d := MustOpenDB(t)
		u := MustCreateUser(t, d, "alice@example.org", db.RoleViewer)
		token, err := d.CreateSession(ctx, u.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Logout(ctx, token, u.Actor("")); err != nil {
			t.Fatal(err)
		}
		if _, err := d.UserBySession(ctx, token); db.ErrorCode(err) != db.EUNAUTHORIZED {
			t.Fatalf("after logout: err=%v, want unauthorized", err)
		}
	})
}
