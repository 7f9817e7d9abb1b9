package db_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
)

// passkeySession is session data of the size go-webauthn keeps for a
// sign-in without password.
var passkeySession = `{"challenge":"` + strings.Repeat("x", 43) + `","rpId":"security.example.org","user_id":null,` +
	`"expires":"0001-01-01T00:00:00Z","userVerification":"required"}`

// TestPasskeySignInsPerNetwork floods the sign-ins without password from
// one IPv6 /64, from every /64 of one /48, and from many /48s: each flood
// keeps only its bound of ceremonies (measured: rows and bytes), and a
// ceremony of another network, begun before the flood or during it, still
// starts and finishes. Before, the floods filled one count for the whole
// portal and every other network's sign-in was refused (ErrPasskeyBusy).
func TestPasskeySignInsPerNetwork(t *testing.T) {
	ctx := context.Background()
	f := newTriageFixture(t)
	defer func(g, n, s int) {
		db.MaxPasskeySignIns, db.MaxPasskeySignInsPerNetwork, db.MaxPasskeySignInsPerSite = g, n, s
	}(db.MaxPasskeySignIns, db.MaxPasskeySignInsPerNetwork, db.MaxPasskeySignInsPerSite)
	db.MaxPasskeySignIns, db.MaxPasskeySignInsPerNetwork, db.MaxPasskeySignInsPerSite = 500, 10, 100

	start := func(what, addr string) string {
		t.Helper()
		tok, _, err := f.DB.BeginPasskey(ctx, 0, db.PasskeyLogin, passkeySession, addr)
		if err != nil {
			t.Fatalf("%s: the sign-in from %s did not start: %v", what, addr, err)
		}
		return tok
	}
	finish := func(what, tok string) {
		t.Helper()
		if _, session, err := f.DB.TakePasskey(ctx, tok, db.PasskeyLogin); err != nil || session != passkeySession {
			t.Fatalf("%s: the sign-in did not finish: %v", what, err)
		}
	}
	flood := func(n int, addr func(i int) string) {
		for i := range n {
			f.DB.BeginPasskey(ctx, 0, db.PasskeyLogin, passkeySession, addr(i))
		}
	}
	kept := func(what string, bound int) {
		t.Helper()
		rows, _, bytes, err := f.DB.PasskeySignInsForTest(ctx)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%-32s %5d ceremonies kept, %7d bytes of columns (bound %d)", what, rows, bytes, bound)
		if rows > bound {
			t.Errorf("%s: %d ceremonies kept, want at most %d", what, rows, bound)
		}
	}
	for _, tc := range []struct {
		name  string
		addr  func(i int) string
		bound int // what the flood keeps, besides the other networks' two
	}{
		{"one /64, 2000 starts", func(i int) string { return fmt.Sprintf("2001:db8:1:1::%x", i+1) }, db.MaxPasskeySignInsPerNetwork},
		{"2000 /64s of one /48", func(i int) string { return fmt.Sprintf("2001:db8:2:%x::1", i) }, db.MaxPasskeySignInsPerSite},
		{"one IPv4 /24, 2000 starts", func(i int) string { return fmt.Sprintf("203.0.113.%d", i%256) }, db.MaxPasskeySignInsPerNetwork},
		{"40 /48s, 50 /64s each", func(i int) string { return fmt.Sprintf("2001:db8:%x:%x::1", 0x100+i%40, i/40) }, db.MaxPasskeySignIns},
	} {
		before := start(tc.name+", before", "198.51.100.7")
		flood(1000, tc.addr)
		during := start(tc.name+", during", "2001:db8:ffff:1::1")
		flood(1000, tc.addr)
		kept(tc.name, tc.bound+2)
		finish(tc.name+", begun before", before)
		finish(tc.name+", begun during", during)
		finish(tc.name+", begun after", start(tc.name+", after", "198.51.100.8"))
		f.advance(db.PasskeyChallengeLifetime)
	}
}

// TestPasskeySignInsManySites is where the bound stops protecting others:
// only a flood from at least MaxPasskeySignIns sites (IPv6 /48s, IPv4
// /24s), each keeping no more ceremonies than the victim's, ends another
// site's ceremony, oldest first.
func TestPasskeySignInsManySites(t *testing.T) {
	ctx := context.Background()
	f := newTriageFixture(t)
	defer func(g int) { db.MaxPasskeySignIns = g }(db.MaxPasskeySignIns)
	db.MaxPasskeySignIns = 50
	victim, _, err := f.DB.BeginPasskey(ctx, 0, db.PasskeyLogin, passkeySession, "198.51.100.7")
	if err != nil {
		t.Fatal(err)
	}
	site := func(i int) string { return fmt.Sprintf("2001:db8:%x::1", i) }
	for i := range 49 { // the portal's bound, the victim's included, with one ceremony per site
		if _, crowded, err := f.DB.BeginPasskey(ctx, 0, db.PasskeyLogin, passkeySession, site(i)); err != nil || crowded {
			t.Fatalf("site %d: crowded %v, %v", i, crowded, err)
		}
	}
	for i := range 49 { // a second ceremony of each: the site holding more loses its oldest
		if _, crowded, err := f.DB.BeginPasskey(ctx, 0, db.PasskeyLogin, passkeySession, site(i)); err != nil || !crowded {
			t.Fatalf("site %d again: crowded %v, %v", i, crowded, err)
		}
	}
	rows, sites, _, err := f.DB.PasskeySignInsForTest(ctx)
	if err != nil || rows != 50 || sites["198.51.100.0/24"] != 1 {
		t.Fatalf("kept %d, the victim's site %d, %v; want 50 and the victim's ceremony", rows, sites["198.51.100.0/24"], err)
	}
	if _, crowded, err := f.DB.BeginPasskey(ctx, 0, db.PasskeyLogin, passkeySession, site(49)); err != nil || !crowded {
		t.Fatalf("site 49: crowded %v, %v", crowded, err)
	}
	if _, _, err := f.DB.TakePasskey(ctx, victim, db.PasskeyLogin); err != db.ErrPasskeyCeremony {
		t.Fatalf("the oldest ceremony, of a site among %d holding one each: %v, want it ended", db.MaxPasskeySignIns, err)
	}
}

// TestPasskeySignInNeighbours: a colleague's ceremony survives a neighbour's
// flood from one other address of the same IPv4 /24, or from other /64s of
// the same IPv6 /48: a full network or site ends the oldest ceremony of its
// busiest client, the neighbour's own. (Before, the oldest of the whole /24
// or /48 went: the colleague's.) A lone ceremony still goes once every
// client of the network holds one.
func TestPasskeySignInNeighbours(t *testing.T) {
	ctx := context.Background()
	f := newTriageFixture(t)
	for _, tc := range []struct {
		name, victim string
		neighbour    func(i int) string
		n            int
	}{
		{"IPv4 /24", "192.0.2.10", func(int) string { return "192.0.2.99" }, 3 * db.MaxPasskeySignInsPerNetwork},
		{"IPv6 /48", "2001:db8:77:1::10", func(i int) string { return fmt.Sprintf("2001:db8:77:%x::1", 0x100+i/10) }, 3 * db.MaxPasskeySignInsPerSite},
	} {
		f.now = f.now.Add(time.Second)
		tok, _, err := f.DB.BeginPasskey(ctx, 0, db.PasskeyLogin, passkeySession, tc.victim)
		if err != nil {
			t.Fatal(err)
		}
		for i := range tc.n {
			f.now = f.now.Add(100 * time.Millisecond) // all within the victim's lifetime
			if _, _, err := f.DB.BeginPasskey(ctx, 0, db.PasskeyLogin, passkeySession, tc.neighbour(i)); err != nil {
				t.Fatal(err)
			}
		}
		if _, _, err := f.DB.TakePasskey(ctx, tok, db.PasskeyLogin); err != nil {
			t.Errorf("%s: the colleague's one ceremony was ended by a neighbour's %d: %v", tc.name, tc.n, err)
		}
	}
	// Every address of a /24 holding one: the oldest goes, as before.
	f.now = f.now.Add(time.Minute)
	first, _, err := f.DB.BeginPasskey(ctx, 0, db.PasskeyLogin, passkeySession, "203.0.113.1")
	if err != nil {
		t.Fatal(err)
	}
	for i := range db.MaxPasskeySignInsPerNetwork {
		f.now = f.now.Add(time.Second)
		if _, _, err := f.DB.BeginPasskey(ctx, 0, db.PasskeyLogin, passkeySession, fmt.Sprintf("203.0.113.%d", 2+i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := f.DB.TakePasskey(ctx, first, db.PasskeyLogin); err == nil {
		t.Errorf("a /24 whose %d addresses each began one kept all %d", db.MaxPasskeySignInsPerNetwork+1, db.MaxPasskeySignInsPerNetwork+1)
	}
}
