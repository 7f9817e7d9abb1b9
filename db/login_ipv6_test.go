package db_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
)

// TestLoginClientLockoutIPv6: a client on IPv6 holds a whole /64 (often a
// /48); counting failures per /128 let it spray passwords from a new
// address every attempt and never reach the client limit.
func TestLoginClientLockoutIPv6(t *testing.T) {
	ctx := context.Background()
	d := MustOpenDB(t)
	clk := withClock(d)
	d.Auth.MaxClientFailures = 4
	MustCreateUser(t, d, "alice@example.org", db.RoleTriager)
	var locked *db.Error
	for i := 0; i < d.Auth.MaxClientFailures; i++ {
		addr := fmt.Sprintf("2001:db8:1:2::%x", i+1)
		email := fmt.Sprintf("user%d@example.org", i)
		_, err := d.Login(ctx, email, "guess guess guess", addr)
		if asLocked(err, &locked) {
			clk.Advance(locked.RetryAfter + time.Second)
			_, err = d.Login(ctx, email, "guess guess guess", addr)
		}
		if !errors.Is(err, db.ErrLoginFailed) {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
	}
	t.Run("ErrLockedSameNetwork", func(t *testing.T) {
		if _, err := d.Login(ctx, "alice@example.org", testPassword, "2001:0db8:0001:0002:ffff:ffff:ffff:fffe"); !asLocked(err, &locked) {
			t.Fatalf("another address of the same /64: err=%v, want a locked sign-in", err)
		}
	})
	t.Run("OK other network", func(t *testing.T) {
		if _, err := d.Login(ctx, "alice@example.org", testPassword, "2001:db8:1:3::1"); err != nil {
			t.Fatalf("a neighbouring /64 is another client: %v", err)
		}
	})
	t.Run("OK IPv4 clients stay apart", func(t *testing.T) {
		// A dual-stack listener shows IPv4 clients as ::ffff:a.b.c.d; they
		// must not all fall into one /64.
		if _, err := d.Login(ctx, "alice@example.org", testPassword, "::ffff:198.51.100.7"); err != nil {
			t.Fatalf("an IPv4 client: %v", err)
		}
	})
}

func TestClientNetwork(t *testing.T) {
	for in, want := range map[string]string{
		"203.0.113.9":                    "203.0.113.9",
		"::ffff:203.0.113.9":             "203.0.113.9",
		"2001:db8:1:2::1":                "2001:db8:1:2::/64",
		"2001:0DB8:0001:0002:aaaa::ffff": "2001:db8:1:2::/64",
		"::1":                            "::/64",
		"":                               "",
		"not an address":                 "not an address",
	} {
		if got := db.ClientNetwork(in); got != want {
			t.Errorf("ClientNetwork(%q) = %q, want %q", in, got, want)
		}
	}
}
