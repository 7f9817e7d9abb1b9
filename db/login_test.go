package db_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
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
		var locked *db.Error
		for i := 0; i < d.Auth.MaxAccountFailures; i++ {
			_, err := d.Login(ctx, "alice@example.org", "wrong password!!", "192.0.2.1")
			if asLocked(err, &locked) {
				clk.Advance(locked.RetryAfter + time.Second) // wait out the backoff
				_, err = d.Login(ctx, "alice@example.org", "wrong password!!", "192.0.2.1")
			}
			if !errors.Is(err, db.ErrLoginFailed) {
				t.Fatalf("attempt %d: err=%v, want ErrLoginFailed", i+1, err)
			}
		}
		// Even the right password is refused from the network (/24) the
		// failures came from ...
		_, err := d.Login(ctx, "alice@example.org", testPassword, "192.0.2.200")
		if !asLocked(err, &locked) {
			t.Fatalf("err=%v, want a locked sign-in", err)
		}
		if got, want := locked.RetryAfter, d.Auth.Lockout; got != want {
			t.Fatalf("locked until %v, want %v", got, want)
		}
		// ... but not from another: failures elsewhere never lock a user out.
		if _, err := d.Login(ctx, "alice@example.org", testPassword, "198.51.100.7"); err != nil {
			t.Fatalf("from another network: %v", err)
		}
		clk.Advance(d.Auth.Lockout + time.Second)
		if _, err := d.Login(ctx, "alice@example.org", testPassword, "192.0.2.1"); err != nil {
			t.Fatalf("after lockout: %v", err)
		}
	})
}

func TestLoginClientLockout(t *testing.T) {
	ctx := context.Background()
	d := MustOpenDB(t)
	clk := withClock(d)
	d.Auth.MaxClientFailures = 4
	MustCreateUser(t, d, "alice@example.org", db.RoleTriager)
	// One client tries a different address each time (password spraying):
	// no account reaches its limit, the client does.
	var locked *db.Error
	for i := 0; i < d.Auth.MaxClientFailures; i++ {
		_, err := d.Login(ctx, "user"+string(rune('a'+i))+"@example.org", "guess guess guess", "203.0.113.9")
		if asLocked(err, &locked) {
			clk.Advance(locked.RetryAfter + time.Second)
			_, err = d.Login(ctx, "user"+string(rune('a'+i))+"@example.org", "guess guess guess", "203.0.113.9")
		}
		if !errors.Is(err, db.ErrLoginFailed) {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
	}
	if _, err := d.Login(ctx, "alice@example.org", testPassword, "203.0.113.9"); !asLocked(err, &locked) {
		t.Fatalf("from the locked client: err=%v, want a locked sign-in", err)
	}
	if _, err := d.Login(ctx, "alice@example.org", testPassword, "198.51.100.1"); err != nil {
		t.Fatalf("the account itself is not locked: %v", err)
	}
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

// storedHash reads a user's password hash straight from the file.
func storedHash(t *testing.T, d *db.DB, email string) string {
	t.Helper()
	raw, err := sql.Open("sqlite3", d.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var h string
	if err := raw.QueryRow(`SELECT password_hash FROM users WHERE email = ?`, email).Scan(&h); err != nil {
		t.Fatal(err)
	}
	return h
}

func TestArgon2Rehash(t *testing.T) {
	ctx := context.Background()
	d := MustOpenDB(t)
	MustCreateUser(t, d, "alice@example.org", db.RoleTriager)
	before := storedHash(t, d, "alice@example.org")
	if !strings.HasPrefix(before, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q does not carry the default parameters", before)
	}
	t.Run("UnchangedKeepsHash", func(t *testing.T) {
		if _, err := d.Login(ctx, "alice@example.org", testPassword, ""); err != nil {
			t.Fatal(err)
		}
		if got := storedHash(t, d, "alice@example.org"); got != before {
			t.Fatal("hash changed although the parameters did not")
		}
	})
	t.Run("ChangedRehashes", func(t *testing.T) {
		d.Auth.Argon2 = db.Argon2Params{Memory: 8 * 1024, Time: 3, Threads: 1}
		if _, err := d.Login(ctx, "alice@example.org", testPassword, ""); err != nil {
			t.Fatal(err)
		}
		after := storedHash(t, d, "alice@example.org")
		if !strings.HasPrefix(after, "$argon2id$v=19$m=8192,t=3,p=1$") {
			t.Fatalf("after login with new parameters the hash is %q", after)
		}
		if _, err := d.Login(ctx, "alice@example.org", testPassword, ""); err != nil {
			t.Fatalf("login with the rehashed password: %v", err)
		}
		if _, err := d.Login(ctx, "alice@example.org", "wrong password!!", ""); !errors.Is(err, db.ErrLoginFailed) {
			t.Fatalf("wrong password after rehash: %v", err)
		}
	})
}

// BenchmarkLogin shows that a wrong password for an unknown account costs
// as much as for a known one (the dummy hash), so timing tells nothing.
func BenchmarkLogin(b *testing.B) {
	ctx := context.Background()
	d := MustOpenDB(b)
	// Each reading of the clock is an hour later, so no failure is still
	// counted at the next attempt: the benchmark measures the password path.
	t0 := time.Now()
	d.Now = func() time.Time { t0 = t0.Add(time.Hour); return t0 }
	MustCreateUser(b, d, "alice@example.org", db.RoleTriager)
	for _, c := range []struct{ name, email, password string }{
		{"Known", "alice@example.org", "wrong password!!"},
		{"Unknown", "nobody@example.org", "wrong password!!"},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				d.Login(ctx, c.email, c.password, "")
			}
		})
	}
}

// BenchmarkUserBySession is the cost every staff request pays to resolve
// its cookie (one read transaction: session, user, setting, memberships).
func BenchmarkUserBySession(b *testing.B) {
	ctx := context.Background()
	d := MustOpenDB(b)
	u := MustCreateUser(b, d, "alice@example.org", db.RoleTriager, 1)
	token, err := d.CreateSession(ctx, u.ID, "")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := d.UserBySession(ctx, token); err != nil {
			b.Fatal(err)
		}
	}
}

// asLocked is errors.As for a sign-in refused while locked (ELOCKED).
func asLocked(err error, locked **db.Error) bool {
	e := db.AsError(err)
	if e == nil || e.Code != db.ELOCKED {
		return false
	}
	*locked = e
	return true
}
