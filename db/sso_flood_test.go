package db_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
)

// TestSSOLoginsPerNetwork floods the starts of a sign-in with a provider
// (a stranger's click on its button, a row for ten minutes each) from one
// IPv6 /64, from 40 /64s of one /48 (fewer than the /48 holds sign-ins:
// a full one with every /64 holding one ends its oldest, as passkeys do), from one IPv4 address and from many
// /48s: each flood keeps only its bound of rows (measured: rows and bytes),
// and a colleague's sign-in begun before the flood on the same /24 or /48,
// or from elsewhere during it, still finishes. Before, nothing bounded the
// table but the rate limit per client, which every /64 has its own of.
func TestSSOLoginsPerNetwork(t *testing.T) {
	ctx := context.Background()
	f := newTriageFixture(t)
	p := newSSOProvider(t, f.DB, 0, "existing")
	defer func(g, n, s int) {
		db.MaxSSOLogins, db.MaxSSOLoginsPerNetwork, db.MaxSSOLoginsPerSite = g, n, s
	}(db.MaxSSOLogins, db.MaxSSOLoginsPerNetwork, db.MaxSSOLoginsPerSite)
	db.MaxSSOLogins, db.MaxSSOLoginsPerNetwork, db.MaxSSOLoginsPerSite = 300, 10, 100

	start := func(what, addr string) *db.SSOStart {
		t.Helper()
		st, err := f.DB.BeginSSOLogin(ctx, p.ID, "/triage", addr)
		if err != nil {
			t.Fatalf("%s: the sign-in from %s did not start: %v", what, addr, err)
		}
		return st
	}
	for _, tc := range []struct {
		name      string
		colleague string
		addr      func(i int) string
		bound     int // what the flood keeps, besides the colleague's and the one begun during it
	}{
		{"one /64", "2001:db8:1:2::1", func(i int) string { return fmt.Sprintf("2001:db8:1:1::%x", i+1) }, db.MaxSSOLoginsPerNetwork},
		{"40 /64s of one /48", "2001:db8:2:ffff::1", func(i int) string { return fmt.Sprintf("2001:db8:2:%x::1", i/10) }, db.MaxSSOLoginsPerSite},
		{"one IPv4 address", "203.0.113.7", func(int) string { return "203.0.113.99" }, db.MaxSSOLoginsPerNetwork},
		{"30 /48s", "198.51.100.7", func(i int) string { return fmt.Sprintf("2001:db8:%x:%x::1", 0x100+i%30, i/30) }, db.MaxSSOLogins},
	} {
		f.advance(time.Second)
		before := start(tc.name+", before", tc.colleague)
		for i := range 400 {
			f.advance(time.Millisecond) // all within the colleague's lifetime
			if _, err := f.DB.BeginSSOLogin(ctx, p.ID, "/triage", tc.addr(i)); err != nil {
				t.Fatalf("%s: start %d refused: %v", tc.name, i, err) // never refused: the oldest goes
			}
		}
		during := start(tc.name+", during", "2001:db8:ffff:1::1")
		rows, bytes, err := f.DB.SSOLoginsForTest(ctx)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%-18s 400 starts: %4d rows kept, %7d bytes of columns (bound %d)", tc.name, rows, bytes, tc.bound+2)
		if rows > tc.bound+2 {
			t.Errorf("%s: %d sign-ins kept, want at most %d", tc.name, rows, tc.bound+2)
		}
		for what, st := range map[string]*db.SSOStart{"begun before on the same network": before, "begun during": during} {
			if _, err := f.DB.TakeSSOLogin(ctx, st.State, st.Browser); err != nil {
				t.Errorf("%s: the colleague's sign-in %s was ended by the flood: %v", tc.name, what, err)
			}
		}
		f.advance(db.SSOLoginLifetime)
	}
	if _, err := f.DB.BeginSSOLogin(ctx, p.ID, "/"+string(make([]byte, db.MaxSSONext)), "192.0.2.1"); db.ErrorCode(err) != db.EINVALID {
		t.Errorf("a place to go of %d bytes: %v, want it refused", db.MaxSSONext+1, err)
	}
}

// TestSSOSitesCounted: the counts per site (sso_sites, kept by triggers)
// follow the sign-ins as they end: taken, past their lifetime, their
// provider deleted (the foreign key's cascade). TestSSOLoginsPerNetwork
// checks them after evictions.
func TestSSOSitesCounted(t *testing.T) {
	ctx := context.Background()
	f := newTriageFixture(t)
	p := newSSOProvider(t, f.DB, 0, "existing")
	check := func(what string, want int) {
		t.Helper()
		if rows, _, err := f.DB.SSOLoginsForTest(ctx); err != nil || rows != want {
			t.Fatalf("%s: %d sign-ins, %v; want %d, counted alike", what, rows, err, want)
		}
	}
	for i := range 15 {
		if _, err := f.DB.BeginSSOLogin(ctx, p.ID, "/triage", fmt.Sprintf("2001:db8:9:%x::1", i%3)); err != nil {
			t.Fatal(err)
		}
	}
	check("15 starts from three /64s", 15)
	st, err := f.DB.BeginSSOLogin(ctx, p.ID, "/triage", "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.DB.TakeSSOLogin(ctx, st.State, st.Browser); err != nil {
		t.Fatal(err)
	}
	check("one taken", 15)
	f.advance(db.SSOLoginLifetime)
	if _, err := f.DB.BeginSSOLogin(ctx, p.ID, "/triage", "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	check("the rest past their lifetime", 1)
	if err := f.DB.DeleteSSOProvider(ctx, p.ID, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	check("the provider deleted", 0)
}
