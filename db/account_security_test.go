package db_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
)

func TestChangePassword(t *testing.T) {
	ctx := context.Background()
	d := MustOpenDB(t)
	d.Auth.Argon2 = db.Argon2Params{Memory: 1024, Time: 1, Threads: 1}
	u := MustCreateUser(t, d, "alice@example.org", db.RoleTriager)
	login := func(addr string) string {
		res, err := d.Login(ctx, "alice@example.org", testPassword, addr)
		if err != nil {
			t.Fatal(err)
		}
		return res.Token
	}
	here, laptop, phone := login("192.0.2.1"), login("198.51.100.2"), login("2001:db8::1")
	reset, err := d.ResetLink(ctx, u.ID, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	const newPassword = "a brand new passphrase"

	t.Run("ErrWrongCurrent", func(t *testing.T) {
		_, err := d.ChangePassword(ctx, here, "not my password", newPassword, newPassword, "192.0.2.1")
		if db.ErrorFields(err)["current"] == "" {
			t.Fatalf("err=%v, want a message on the current password", err)
		}
		page, _ := d.ListAudit(ctx, db.AuditFilter{Action: "login.reauth_failed"})
		if len(page.Entries) != 1 {
			t.Fatalf("%d audit rows for the wrong current password, want 1", len(page.Entries))
		}
	})
	t.Run("ErrWeakOrSame", func(t *testing.T) {
		for _, pw := range []string{"short", testPassword} {
			_, err := d.ChangePassword(ctx, here, testPassword, pw, pw, "192.0.2.1")
			if db.ErrorFields(err)["password"] == "" {
				t.Fatalf("new password %q: err=%v, want a message on it", pw, err)
			}
		}
	})
	t.Run("OK", func(t *testing.T) {
		n, err := d.ChangePassword(ctx, here, testPassword, newPassword, newPassword, "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		if n != 2 {
			t.Fatalf("%d sessions ended, want 2", n)
		}
		if _, err := d.UserBySession(ctx, here); err != nil {
			t.Fatalf("the session that changed it: %v", err)
		}
		for _, tok := range []string{laptop, phone} {
			if _, err := d.UserBySession(ctx, tok); db.ErrorCode(err) != db.EUNAUTHORIZED {
				t.Fatalf("another session survived: %v", err)
			}
		}
		if _, err := d.TokenInfo(ctx, reset); err == nil {
			t.Fatal("an open reset link still works after the change")
		}
		if _, err := d.Login(ctx, "alice@example.org", newPassword, "192.0.2.1"); err != nil {
			t.Fatalf("sign-in with the new password: %v", err)
		}
		page, _ := d.ListAudit(ctx, db.AuditFilter{Action: "user.password_change"})
		if len(page.Entries) != 1 || page.Entries[0].Detail != "sessions_ended=2" {
			t.Fatalf("audit: %+v", page.Entries)
		}
	})
}

func TestReauthenticate(t *testing.T) {
	ctx := context.Background()
	d := MustOpenDB(t)
	d.Auth.Argon2 = db.Argon2Params{Memory: 1024, Time: 1, Threads: 1}
	clk := withClock(d)
	MustCreateUser(t, d, "alice@example.org", db.RoleAdmin)
	res, err := d.Login(ctx, "alice@example.org", testPassword, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	fresh := func() bool {
		t.Helper()
		ok, err := d.Reauthenticated(ctx, res.Token)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !fresh() {
		t.Fatal("a sign-in is not a fresh password")
	}
	clk.Advance(d.Auth.ReauthWindow)
	if fresh() {
		t.Fatalf("still fresh after %v", d.Auth.ReauthWindow)
	}
	if err := d.ReplaceTOTP(ctx, res.Token, db.ActorSystem); !errors.Is(err, db.ErrReauthRequired) {
		t.Fatalf("replace without re-authentication: err=%v, want ErrReauthRequired", err)
	}
	// A stolen cookie is no way to guess the password: wrong tries lock the
	// network like failed sign-ins.
	var locked *db.Error
	for i := 0; i < 20 && !asLocked(err, &locked); i++ {
		err = d.Reauthenticate(ctx, res.Token, "guess guess guess", "192.0.2.1")
		clk.Advance(time.Second)
	}
	if !asLocked(err, &locked) || locked.RetryAfter < d.Auth.Lockout/2 {
		t.Fatalf("after wrong passwords: err=%v, want the lockout", err)
	}
	clk.Advance(d.Auth.Lockout)
	if _, err := d.UserBySession(ctx, res.Token); err != nil {
		t.Fatal(err)
	}
	if err := d.Reauthenticate(ctx, res.Token, testPassword, "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	if !fresh() {
		t.Fatal("not fresh after re-authentication")
	}
}

func TestEndSessions(t *testing.T) {
	ctx := context.Background()
	d := MustOpenDB(t)
	d.Auth.Argon2 = db.Argon2Params{Memory: 1024, Time: 1, Threads: 1}
	MustCreateUser(t, d, "alice@example.org", db.RoleTriager)
	MustCreateUser(t, d, "bob@example.org", db.RoleTriager)
	login := func(email, addr string) string {
		res, err := d.Login(ctx, email, testPassword, addr)
		if err != nil {
			t.Fatal(err)
		}
		return res.Token
	}
	a1, a2, a3 := login("alice@example.org", "192.0.2.1"), login("alice@example.org", "2001:db8:1:2::7"), login("alice@example.org", "198.51.100.9")
	b1 := login("bob@example.org", "203.0.113.5")
	list, err := d.SessionsOf(ctx, a1)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 3 {
		t.Fatalf("%d sessions, want 3", len(list))
	}
	var current int
	networks := map[string]string{}
	for _, s := range list {
		if s.Current {
			current++
		}
		networks[s.Network] = s.ID
	}
	if current != 1 || networks["2001:db8:1:2::/64"] == "" {
		t.Fatalf("sessions: %+v", list)
	}
	bobs, _ := d.SessionsOf(ctx, b1)
	t.Run("ErrAnotherUsersSession", func(t *testing.T) {
		if err := d.EndSession(ctx, a1, bobs[0].ID, db.ActorSystem); db.ErrorCode(err) != db.ENOTFOUND {
			t.Fatalf("err=%v, want ENOTFOUND", err)
		}
		if _, err := d.UserBySession(ctx, b1); err != nil {
			t.Fatal("alice ended bob's session")
		}
	})
	t.Run("OK one", func(t *testing.T) {
		if err := d.EndSession(ctx, a1, networks["2001:db8:1:2::/64"], db.ActorSystem); err != nil {
			t.Fatal(err)
		}
		if _, err := d.UserBySession(ctx, a2); db.ErrorCode(err) != db.EUNAUTHORIZED {
			t.Fatalf("the ended session: %v", err)
		}
	})
	t.Run("OK others", func(t *testing.T) {
		n, err := d.EndOtherSessions(ctx, a1, db.ActorSystem)
		if err != nil || n != 1 {
			t.Fatalf("ended %d, %v; want 1", n, err)
		}
		if _, err := d.UserBySession(ctx, a3); db.ErrorCode(err) != db.EUNAUTHORIZED {
			t.Fatalf("the other session: %v", err)
		}
		for _, tok := range []string{a1, b1} {
			if _, err := d.UserBySession(ctx, tok); err != nil {
				t.Fatalf("a session that should stay: %v", err)
			}
		}
	})
}
