package db

import (
	"context"
	"fmt"
	"net"
)

// Sign-ins without password (and the passkey step after a password) are
// started by strangers: each keeps a ceremony row for
// PasskeyChallengeLifetime. They are bounded three ways, and a new one
// always starts: past a bound the oldest ceremony of the crowded group is
// ended (its browser is told to try again), never a new one refused, so
// no stranger can switch passkey sign-in off for others. Inside a full
// network or site the busiest client (ClientNetwork: one IPv4 address, one
// IPv6 /64) loses its oldest first, so a neighbour on the same /24 or /48
// ends its own ceremonies, not a colleague's.
//
//   - per network (PairNetwork: IPv4 /24, IPv6 /64): MaxPasskeySignInsPerNetwork;
//   - per site (PasskeySite: IPv6 /48, IPv4 /24): MaxPasskeySignInsPerSite,
//     since whoever holds one /64 usually holds its /48 (65,536 of them);
//   - for the portal: MaxPasskeySignIns. When it is reached, the oldest
//     ceremony of the site holding the most (the new one counted) goes.
//     A site with one ceremony under way loses it only when every other
//     site holds at most one: a flood must come from MaxPasskeySignIns
//     sites at once (10,000 IPv6 /48s or IPv4 /24s) to end others', and
//     then the site that has waited longest goes first.
//
// Sign-ins sent to a provider (sso_logins, begun by a stranger's click on
// its button) keep a row for SSOLoginLifetime and are bounded the same
// way by MaxSSOLogins, MaxSSOLoginsPerNetwork and MaxSSOLoginsPerSite:
// one whose row was ended is told at the callback to start again.
var (
	MaxPasskeySignIns           = 10_000 // variables: tests lower them
	MaxPasskeySignInsPerNetwork = 10
	MaxPasskeySignInsPerSite    = 100

	MaxSSOLogins           = 10_000
	MaxSSOLoginsPerNetwork = 10
	MaxSSOLoginsPerSite    = 100
)

// PasskeySite is the widest block of addresses one holder is assumed to
// get whole: the /48 of an IPv6 address (a site's usual assignment), and
// for IPv4 its /24 (PairNetwork): wider IPv4 blocks are shared by
// strangers (carriers, clouds).
func PasskeySite(addr string) string {
	ip := net.ParseIP(addr)
	if ip == nil || ip.To4() != nil {
		return PairNetwork(addr)
	}
	return (&net.IPNet{IP: ip.Mask(net.CIDRMask(48, 128)), Mask: net.CIDRMask(48, 128)}).String()
}

// signInTable is a table of sign-ins strangers begin, held to the bounds
// of this file: passkey ceremonies without password (passkey_challenges)
// and sign-ins sent to a provider (sso_logins). Each has the columns
// network, site, client and expires_at, and a table of counts per site
// (passkey_sites, sso_sites) kept by triggers.
type signInTable struct {
	table, key string // the table and its primary key
	strangers  string // the condition that selects strangers' sign-ins
	sites      string // the counts per site
	what       string // for errors
	// The bounds: for the portal, per network, per site (variables that
	// tests lower).
	all, perNetwork, perSite *int
}

var (
	passkeySignIns = signInTable{table: "passkey_challenges", key: "token_hash", strangers: "user_id IS NULL",
		sites: "passkey_sites", what: "passkey sign-in",
		all: &MaxPasskeySignIns, perNetwork: &MaxPasskeySignInsPerNetwork, perSite: &MaxPasskeySignInsPerSite}
	ssoSignIns = signInTable{table: "sso_logins", key: "state_hash", strangers: "1",
		sites: "sso_sites", what: "sso sign-in",
		all: &MaxSSOLogins, perNetwork: &MaxSSOLoginsPerNetwork, perSite: &MaxSSOLoginsPerSite}
)

// makeRoomForSignIn ends the oldest sign-ins of t that keep a new one of
// client (ClientNetwork), network and site from fitting the bounds.
// crowded says the portal's bound was reached, so another site's sign-in
// may have gone.
func (tx *Tx) makeRoomForSignIn(ctx context.Context, t signInTable, network, site, client string) (crowded bool, err error) {
	if err := tx.evictSignIns(ctx, t, "network", network, client, *t.perNetwork); err != nil {
		return false, err
	}
	if err := tx.evictSignIns(ctx, t, "site", site, client, *t.perSite); err != nil {
		return false, err
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+t.table+` WHERE `+t.strangers).Scan(&n); err != nil {
		return false, fmt.Errorf("db: count %ss: %w", t.what, err)
	}
	for ; n >= max(*t.all, 1); n-- {
		if err := tx.evictBusiestSite(ctx, t, site); err != nil {
			return false, err
		}
		crowded = true
	}
	return crowded, nil
}

// evictBusiestSite ends the oldest sign-in of t of the site holding the
// most (t.sites, kept by triggers), the new one of site counted: the new
// one's own site when it is among the busiest, else the busiest that has
// held sign-ins longest.
func (tx *Tx) evictBusiestSite(ctx context.Context, t signInTable, site string) error {
	var own, most int
	var busiest string
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE((SELECT signins FROM `+t.sites+` WHERE site = ?), 0),
		site, signins FROM `+t.sites+` ORDER BY signins DESC, since LIMIT 1`, site).Scan(&own, &busiest, &most); err != nil {
		return fmt.Errorf("db: find the busiest site of %ss: %w", t.what, err)
	}
	if own > 0 && own+1 >= most {
		busiest = site
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM `+t.table+` WHERE `+t.key+` =
		(SELECT `+t.key+` FROM `+t.table+` WHERE `+t.strangers+` AND site = ? ORDER BY expires_at LIMIT 1)`, busiest); err != nil {
		return fmt.Errorf("db: end a %s: %w", t.what, err)
	}
	return nil
}

// evictSignIns ends sign-ins of t of one network or site (column) until a
// new one of client fits under limit: each time the oldest of the busiest
// client inside it (an IPv4 address, an IPv6 /64), the new one counted, so
// that a neighbour's flood ends the neighbour's own sign-ins, not the one a
// colleague on the same /24 or /48 has under way. A lone sign-in goes only
// when every client of its network holds at most one as well. A group
// holds at most limit rows, so the counts read a bounded number of rows.
func (tx *Tx) evictSignIns(ctx context.Context, t signInTable, column, key, client string, limit int) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+t.table+` WHERE `+t.strangers+` AND `+column+` = ?`, key).Scan(&n); err != nil {
		return fmt.Errorf("db: count %ss of a %s: %w", t.what, column, err)
	}
	for over := n - max(limit, 1) + 1; over > 0; over-- {
		var own, most int
		var busiest string
		if err := tx.QueryRowContext(ctx, `SELECT
			(SELECT COUNT(*) FROM `+t.table+` WHERE `+t.strangers+` AND `+column+` = ?1 AND client = ?2),
			client, COUNT(*) FROM `+t.table+` WHERE `+t.strangers+` AND `+column+` = ?1
			GROUP BY client ORDER BY COUNT(*) DESC, MIN(expires_at) LIMIT 1`, key, client).Scan(&own, &busiest, &most); err != nil {
			return fmt.Errorf("db: find the busiest client of a %s: %w", column, err)
		}
		if own > 0 && own+1 >= most {
			busiest = client
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+t.table+` WHERE `+t.key+` =
			(SELECT `+t.key+` FROM `+t.table+` WHERE `+t.strangers+` AND `+column+` = ? AND client = ? ORDER BY expires_at LIMIT 1)`, key, busiest); err != nil {
			return fmt.Errorf("db: end a %s of a %s: %w", t.what, column, err)
		}
	}
	return nil
}
