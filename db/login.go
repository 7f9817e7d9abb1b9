package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"strings"
	"time"
)

// ErrLoginFailed is the one answer to a wrong email, a wrong password, a
// disabled account or an account without a password: telling them apart
// would tell an attacker which addresses have accounts.
var ErrLoginFailed = Errorf(EUNAUTHORIZED, "Email or password is wrong.")

// ErrCodeWrong answers a wrong second-factor or recovery code.
var ErrCodeWrong = Errorf(EUNAUTHORIZED, "That code is not right. Check your authenticator app and try again.")

// LockedError refuses a login while an account or client address waits
// after failed attempts.
type LockedError struct {
	Until time.Time
	Wait  time.Duration // from now (the database clock) until Until
}

func (e *LockedError) Error() string {
	return "disclose: login locked until " + e.Until.UTC().Format(time.RFC3339)
}

// LoginResult is a successful password check: either a full session, or a
// pending one that awaits the second factor.
type LoginResult struct {
	User         *User
	Token        string // full session
	PendingToken string // set instead of Token when the user has TOTP
	// LockedNow is set on a failure that just locked the account or client,
	// so the caller can log it.
	LockedNow bool
}

// backoffAfter failures, each further failure doubles a short wait.
const backoffAfter = 3

func accountKey(email string) string { return "email:" + strings.ToLower(strings.TrimSpace(email)) }
func clientKey(addr string) string   { return "addr:" + ClientNetwork(addr) }

// ClientNetwork is the unit a per-client limit counts: an IPv4 address
// (also when a dual-stack listener shows it as ::ffff:a.b.c.d), or the /64
// of an IPv6 address, since one subscriber or server holds a whole /64 and
// could otherwise take a fresh address for every attempt. Anything that is
// not an address is returned as it is.
func ClientNetwork(addr string) string {
	ip := net.ParseIP(addr)
	switch {
	case ip == nil:
		return addr
	case ip.To4() != nil:
		return ip.To4().String()
	}
	return (&net.IPNet{IP: ip.Mask(net.CIDRMask(64, 128)), Mask: net.CIDRMask(64, 128)}).String()
}

// beginAttempt refuses a locked account or client, and otherwise counts the
// attempt as a failure before the password is checked, so that parallel
// guesses cannot outrun the limit. A success takes the count back.
func (db *DB) beginAttempt(ctx context.Context, email, clientAddr string, actor Actor) error {
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	now := formatTime(tx.now)
	window := formatTime(tx.now.Add(-db.Auth.FailureWindow))
	// Counts outside the window and past their lock mean nothing any more.
	if _, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE first_at < ? AND (locked_until IS NULL OR locked_until <= ?)`, window, now); err != nil {
		return fmt.Errorf("db: purge login failures: %w", err)
	}
	for _, key := range []string{accountKey(email), clientKey(clientAddr)} {
		var locked sql.NullString
		err := tx.QueryRowContext(ctx, `SELECT locked_until FROM login_failures WHERE key = ?`, key).Scan(&locked)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("db: read login failures: %w", err)
		}
		if locked.Valid && locked.String > now {
			if err := tx.audit(ctx, actor, "login.refused", auditEmail(email), "locked"); err != nil {
				return err
			}
			if err := tx.Commit(); err != nil {
				return err
			}
			until := parseTime(locked.String)
			return &LockedError{Until: until, Wait: until.Sub(tx.now)}
		}
	}
	for _, key := range []string{accountKey(email), clientKey(clientAddr)} {
		if _, err := tx.ExecContext(ctx, `INSERT INTO login_failures (key, failures, first_at) VALUES (?, 1, ?)
			ON CONFLICT (key) DO UPDATE SET
				failures = CASE WHEN first_at < ? THEN 1 ELSE failures + 1 END,
				first_at = CASE WHEN first_at < ? THEN excluded.first_at ELSE first_at END`,
			key, now, window, window); err != nil {
			return fmt.Errorf("db: count login attempt: %w", err)
		}
	}
	return tx.Commit()
}

// attemptSucceeded takes back the count of beginAttempt and clears the
// account's failures.
func (tx *Tx) attemptSucceeded(ctx context.Context, email, clientAddr string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE key = ?`, accountKey(email)); err != nil {
		return fmt.Errorf("db: clear login failures: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE login_failures SET failures = max(failures - 1, 0) WHERE key = ?`, clientKey(clientAddr)); err != nil {
		return fmt.Errorf("db: clear login failures: %w", err)
	}
	return nil
}

// attemptTakenBack takes back the count of beginAttempt for a step that
// did not fail but did not finish the login either (a right password with
// a second factor to come); earlier failures stay counted.
func (tx *Tx) attemptTakenBack(ctx context.Context, email, clientAddr string) error {
	for _, key := range []string{accountKey(email), clientKey(clientAddr)} {
		if _, err := tx.ExecContext(ctx, `UPDATE login_failures SET failures = max(failures - 1, 0) WHERE key = ?`, key); err != nil {
			return fmt.Errorf("db: take back login attempt: %w", err)
		}
	}
	return nil
}

// attemptFailed records a failure, and locks the account or client when it
// reached its limit, or makes it wait a little (backoff) before that.
func (tx *Tx) attemptFailed(ctx context.Context, email, clientAddr string, actor Actor, action, reason string) (lockedNow bool, err error) {
	if err := tx.audit(ctx, actor, action, auditEmail(email), reason); err != nil {
		return false, err
	}
	p := tx.db.Auth
	for _, k := range []struct {
		key   string
		limit int
	}{{accountKey(email), p.MaxAccountFailures}, {clientKey(clientAddr), p.MaxClientFailures}} {
		var n int
		err := tx.QueryRowContext(ctx, `SELECT failures FROM login_failures WHERE key = ?`, k.key).Scan(&n)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		} else if err != nil {
			return false, fmt.Errorf("db: read login failures: %w", err)
		}
		var wait time.Duration
		switch {
		case k.limit > 0 && n >= k.limit:
			wait, lockedNow = p.Lockout, true
			target := "addr:" + ClientNetwork(clientAddr)
			if k.key == accountKey(email) {
				target = "email:" + auditEmail(email)
			}
			if err := tx.audit(ctx, actor, "login.lockout", target,
				fmt.Sprintf("failures=%d until=%s", n, formatTime(tx.now.Add(wait)))); err != nil {
				return false, err
			}
		case n > backoffAfter:
			wait = min(time.Second<<(n-backoffAfter-1), p.Lockout)
		default:
			continue
		}
		if _, err := tx.ExecContext(ctx, `UPDATE login_failures SET locked_until = ? WHERE key = ?`, formatTime(tx.now.Add(wait)), k.key); err != nil {
			return false, fmt.Errorf("db: lock login: %w", err)
		}
	}
	return lockedNow, nil
}

// auditEmail is what the audit log keeps of the address typed at sign-in:
// the address when it is one, and otherwise a placeholder, because what
// people type in the wrong field is most often their password, and the
// audit log is append-only.
func auditEmail(email string) string {
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email || len(email) > 254 {
		return "(not an email address)"
	}
	return email
}

// Login checks an email and password. On success it returns a full session,
// or a pending one when the account has a second factor. Every outcome is in
// the audit log.
func (db *DB) Login(ctx context.Context, email, password, clientAddr string) (*LoginResult, error) {
	email = strings.TrimSpace(email)
	actor := Actor{Name: auditEmail(email), ClientAddr: clientAddr}
	if err := db.beginAttempt(ctx, email, clientAddr, actor); err != nil {
		return nil, err
	}
	var (
		id       int64
		hash     string
		disabled bool
		totpOn   bool
	)
	err := db.read.QueryRowContext(ctx, `SELECT id, password_hash, disabled, totp_enabled FROM users WHERE email = ?`, email).
		Scan(&id, &hash, &disabled, &totpOn)
	reason := ""
	ok, stale := false, false
	switch {
	case errors.Is(err, sql.ErrNoRows):
		burnPasswordTime(password, db.Auth.Argon2)
		reason = "unknown account"
	case err != nil:
		return nil, fmt.Errorf("db: find user for login: %w", err)
	case hash == "":
		burnPasswordTime(password, db.Auth.Argon2)
		reason = "no password set"
	default:
		if ok, stale = checkPassword(hash, password, db.Auth.Argon2); !ok {
			reason = "wrong password"
		} else if disabled {
			ok, reason = false, "account disabled"
		}
	}
	var newHash string
	if ok && stale {
		if newHash, err = hashPassword(password, db.Auth.Argon2); err != nil {
			return nil, err
		}
	}

	tx, err := db.BeginTx(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if !ok {
		locked, err := tx.attemptFailed(ctx, email, clientAddr, actor, "login.failed", reason)
		if err != nil {
			return nil, err
		}
		if err := tx.Commit(); err != nil {
			return nil, err
		}
		if locked {
			return &LoginResult{LockedNow: true}, ErrLoginFailed
		}
		return nil, ErrLoginFailed
	}
	if totpOn {
		// Only the second factor ends the count: a right password clearing
		// it would let someone who has the password guess codes forever,
		// one password step between each wrong code.
		err = tx.attemptTakenBack(ctx, email, clientAddr)
	} else {
		err = tx.attemptSucceeded(ctx, email, clientAddr)
	}
	if err != nil {
		return nil, err
	}
	if newHash != "" {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ? WHERE id = ?`, newHash, id); err != nil {
			return nil, fmt.Errorf("db: rehash password: %w", err)
		}
		if err := tx.audit(ctx, Actor{UserID: id, Name: email, ClientAddr: clientAddr}, "user.password_rehash", email, ""); err != nil {
			return nil, err
		}
	}
	res := &LoginResult{}
	if totpOn {
		if res.PendingToken, err = tx.createSession(ctx, id, clientAddr, stagePassword); err != nil {
			return nil, err
		}
	} else if res.Token, err = tx.completeLogin(ctx, id, email, clientAddr, "password"); err != nil {
		return nil, err
	}
	if res.User, err = tx.userByID(ctx, id); err != nil {
		return nil, err
	}
	return res, tx.Commit()
}

// completeLogin starts the full session: always a new token, so a token
// planted before login (session fixation) is worth nothing after it.
func (tx *Tx) completeLogin(ctx context.Context, userID int64, email, clientAddr, how string) (string, error) {
	token, err := tx.createSession(ctx, userID, clientAddr, stageFull)
	if err != nil {
		return "", err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE users SET last_login_at = ? WHERE id = ?`, formatTime(tx.now), userID); err != nil {
		return "", fmt.Errorf("db: record login: %w", err)
	}
	if err := tx.audit(ctx, Actor{UserID: userID, Name: email, ClientAddr: clientAddr}, "login", email, how); err != nil {
		return "", err
	}
	return token, nil
}
