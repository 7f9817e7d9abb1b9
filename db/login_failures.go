package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// attempt is one counted sign-in step: the keys it was counted under, and
// whether it was guarded (the account under attack: the password step
// answered alike for a right and a wrong password).
type attempt struct {
	email, addr string
	keys        []string // counted before the check; a success takes them back
	guarded     bool
	// Second factor of a guarded login: decoy if its password was wrong,
	// codeLocked if wrong codes after a right password locked the account.
	// Both are answered like a wrong code.
	decoy, codeLocked bool
}

// step is the kind of sign-in step beginAttempt counts; it decides which
// locks hold the step back.
type step int

const (
	// stepPassword is the password of an account without a second factor:
	// under attack it waits the account's backoff, since a right password
	// alone signs in.
	stepPassword step = iota
	// stepPasswordShielded is the password of an account with a second
	// factor, or of none: under attack its answer does not depend on the
	// password (Login), so it needs no backoff, and it must not show the
	// second-factor lock, which only someone with the password can cause.
	stepPasswordShielded
	// stepCode is the second factor of a login begun in the open.
	stepCode
	// stepCodeGuarded is the second factor of a login begun under attack:
	// the second-factor lock is answered like a wrong code (LoginSecondFactor).
	stepCodeGuarded
	// stepReauth is the password typed again by a signed-in user (the
	// re-authentication and password pages): it waits the account's
	// backoff, and a session may fail it only maxReauthFailures times.
	stepReauth
)

// beginAttempt refuses a locked step, and otherwise counts it as a failure
// under keys before the password or code is checked, so that parallel
// guesses cannot outrun the limits. A success takes the count back.
func (db *DB) beginAttempt(ctx context.Context, email, addr string, actor Actor, st step, keys ...string) (*attempt, error) {
	// A refusal is recorded (fn returns nil), then returned.
	var a *attempt
	var refusal error
	err := db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		now := formatTime(tx.now)
		window := formatTime(tx.now.Add(-db.Auth.FailureWindow))
		// Counts outside the window and past their lock mean nothing any more.
		if _, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE first_at < ? AND (locked_until IS NULL OR locked_until <= ?)`, window, now); err != nil {
			return fmt.Errorf("db: purge login failures: %w", err)
		}
		n, _, err := tx.failures(ctx, accountKey(email))
		if err != nil {
			return err
		}
		a = &attempt{email: email, addr: addr, keys: keys, guarded: n >= db.Auth.AccountBackoffAfter}
		check := []string{pairKey(email, addr), clientKey(addr)}
		switch {
		case st == stepPassword && a.guarded:
			check = append(check, accountKey(email), codeKey(email))
		case st == stepPassword, st == stepCode, st == stepPasswordShielded && !a.guarded:
			check = append(check, codeKey(email))
		case st == stepReauth:
			// A password typed by whoever holds a session cookie: the account's
			// backoff holds it back as it holds a sign-in without a second
			// factor, or a stolen cookie would guess from every network at once.
			check = append(check, accountKey(email))
		}
		for _, key := range check {
			_, until, err := tx.failures(ctx, key)
			if err != nil {
				return err
			}
			if until.After(tx.now) {
				refusal = lockedError(until, until.Sub(tx.now))
				return tx.audit(ctx, actor, "login.refused", auditEmail(email), "locked")
			}
		}
		for _, key := range keys {
			if _, err := tx.ExecContext(ctx, `INSERT INTO login_failures (key, failures, first_at) VALUES (?, 1, ?)
				ON CONFLICT (key) DO UPDATE SET
					failures = CASE WHEN first_at < ? THEN 1 ELSE failures + 1 END,
					first_at = CASE WHEN first_at < ? THEN excluded.first_at ELSE first_at END`,
				key, now, window, window); err != nil {
				return fmt.Errorf("db: count login attempt: %w", err)
			}
		}
		return nil
	})
	switch {
	case err != nil:
		return nil, err
	case refusal != nil:
		return nil, refusal
	}
	return a, nil
}

// failures reads the count of a key and until when it holds sign-ins back
// (zero when it does not).
func (tx *Tx) failures(ctx context.Context, key string) (int, time.Time, error) {
	var n int
	var locked sql.NullString
	err := tx.QueryRowContext(ctx, `SELECT failures, locked_until FROM login_failures WHERE key = ?`, key).Scan(&n, &locked)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, time.Time{}, nil
	} else if err != nil {
		return 0, time.Time{}, fmt.Errorf("db: read login failures: %w", err)
	}
	return n, parseNullTime(locked), nil
}

// loginKeys are the keys a password step counts.
func loginKeys(email, addr string) []string {
	return []string{pairKey(email, addr), clientKey(addr), accountKey(email)}
}

// takeBack undoes the counting of beginAttempt for the given keys, leaving
// earlier failures counted.
func (tx *Tx) takeBack(ctx context.Context, keys ...string) error {
	for _, key := range keys {
		if _, err := tx.ExecContext(ctx, `UPDATE login_failures SET failures = max(failures - 1, 0) WHERE key = ?`, key); err != nil {
			return fmt.Errorf("db: take back login attempt: %w", err)
		}
	}
	return nil
}

// signedIn ends the counting of a login that finished: the failures of
// this account from this network and its wrong codes are forgotten; the
// client's and the account's counts only lose what this login added
// (extra: steps counted before this one and not taken back), so a stranger's
// failures elsewhere keep the account under watch.
func (tx *Tx) signedIn(ctx context.Context, a *attempt, extra int) error {
	for _, key := range []string{pairKey(a.email, a.addr), codeKey(a.email)} {
		if _, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE key = ?`, key); err != nil {
			return fmt.Errorf("db: clear login failures: %w", err)
		}
	}
	for _, key := range []string{clientKey(a.addr), accountKey(a.email)} {
		if _, err := tx.ExecContext(ctx, `UPDATE login_failures SET failures = max(failures - ?, 0) WHERE key = ?`, 1+extra, key); err != nil {
			return fmt.Errorf("db: clear login failures: %w", err)
		}
	}
	return nil
}

// clearAccountFailures forgets every count of an account (a new password
// was set through a reset link).
func (tx *Tx) clearAccountFailures(ctx context.Context, email string) error {
	// The pairs of the account are the keys from its prefix ("…|") up to
	// the same with the last byte one higher ("…}"): a range of the
	// primary key, not a scan of every count.
	prefix := pairPrefix(email)
	if _, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE key IN (?, ?) OR (key >= ? AND key < ?)`,
		accountKey(email), codeKey(email), prefix, prefix[:len(prefix)-1]+"}"); err != nil {
		return fmt.Errorf("db: clear login failures: %w", err)
	}
	return nil
}

// attemptFailed records a failure: an audit row, and the limits of its
// keys (applyLimits).
func (tx *Tx) attemptFailed(ctx context.Context, a *attempt, actor Actor, action, reason string) (lockedNow bool, err error) {
	if err := tx.audit(ctx, actor, action, auditEmail(a.email), reason); err != nil {
		return false, err
	}
	return tx.applyLimits(ctx, a, actor)
}

// applyLimits locks each counted key that reached its limit, or makes it
// wait a little (backoff) before that. A guarded password step runs it for
// a right password too, so that what follows looks the same either way.
func (tx *Tx) applyLimits(ctx context.Context, a *attempt, actor Actor) (lockedNow bool, err error) {
	p := tx.db.Auth
	for _, key := range a.keys {
		n, _, err := tx.failures(ctx, key)
		if err != nil {
			return false, err
		}
		limit, target := 0, "email:"+auditEmail(a.email)
		switch key {
		case pairKey(a.email, a.addr):
			limit, target = p.MaxAccountFailures, target+" from "+PairNetwork(a.addr)
		case codeKey(a.email):
			limit, target = p.MaxAccountFailures, target+" (second factor)"
		case clientKey(a.addr):
			limit, target = p.MaxClientFailures, "addr:"+ClientNetwork(a.addr)
		}
		var wait time.Duration
		switch {
		case key == accountKey(a.email):
			// No lock: a backoff that only holds back accounts without a
			// second factor (beginAttempt).
			if n < p.AccountBackoffAfter {
				continue
			}
			if n == p.AccountBackoffAfter {
				if err := tx.audit(ctx, actor, "login.under_attack", target, fmt.Sprintf("failures=%d", n)); err != nil {
					return false, err
				}
			}
			wait = min(time.Second<<min(n-p.AccountBackoffAfter, 30), p.AccountBackoffMax)
		case limit > 0 && n >= limit:
			wait, lockedNow = p.Lockout, true
			if err := tx.audit(ctx, actor, "login.lockout", target,
				fmt.Sprintf("failures=%d until=%s", n, formatTime(tx.now.Add(wait)))); err != nil {
				return false, err
			}
		case n > backoffAfter:
			wait = min(time.Second<<min(n-backoffAfter-1, 30), p.Lockout)
		default:
			continue
		}
		if _, err := tx.ExecContext(ctx, `UPDATE login_failures SET locked_until = ? WHERE key = ?`, formatTime(tx.now.Add(wait)), key); err != nil {
			return false, fmt.Errorf("db: lock login: %w", err)
		}
	}
	return lockedNow, nil
}

// beginCodeAttempt counts the second-factor step of the pending login
// token of u, whose password was right (see attempt for codeLocked; a
// decoy is counted by decoySecondFactor).
func (db *DB) beginCodeAttempt(ctx context.Context, u *User, token, addr string, actor Actor) (*attempt, error) {
	var guarded bool
	err := db.read.QueryRowContext(ctx, `SELECT guarded FROM sessions WHERE token_hash = ?`, tokenHash(token)).Scan(&guarded)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrSignInNotFinished
	} else if err != nil {
		return nil, fmt.Errorf("db: read pending login: %w", err)
	}
	st, keys := stepCode, append(loginKeys(u.Email, addr), codeKey(u.Email))
	if guarded {
		st = stepCodeGuarded
	}
	a, err := db.beginAttempt(ctx, u.Email, addr, actor, st, keys...)
	if err != nil {
		return nil, err
	}
	a.guarded = guarded
	if guarded {
		var until sql.NullString
		err := db.read.QueryRowContext(ctx, `SELECT locked_until FROM login_failures WHERE key = ?`, codeKey(u.Email)).Scan(&until)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("db: read login failures: %w", err)
		}
		a.codeLocked = parseNullTime(until).After(db.Now())
	}
	return a, nil
}

// codeFailure is the audit reason of a failed second-factor step.
func codeFailure(a *attempt) string {
	switch {
	case a.decoy:
		return "wrong password (under attack)"
	case a.codeLocked:
		return "second factor locked"
	}
	return "wrong code"
}

// guardedExtra is how many steps of a login were counted and not taken
// back before its code step: the password step of a guarded login.
func guardedExtra(a *attempt) int {
	if a.guarded {
		return 1
	}
	return 0
}
