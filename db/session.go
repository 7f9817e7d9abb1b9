package db

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"time"
)

// AuthPolicy holds the settings of staff sign-in.
type AuthPolicy struct {
	SessionIdle     time.Duration // a session unused this long ends
	SessionLifetime time.Duration // a session ends this long after login, used or not
	// A login needing a second factor waits this long for the code.
	PendingLifetime time.Duration
	// MaxAccountFailures failed logins of one account from one network
	// (IPv4 /24, IPv6 /64) within FailureWindow lock that account for that
	// network for Lockout; wrong codes after a right password lock it
	// everywhere. MaxClientFailures failures of one client address over all
	// accounts lock that client. Before a limit each failure beyond the
	// third doubles a short wait (backoff).
	MaxAccountFailures int
	MaxClientFailures  int
	FailureWindow      time.Duration
	Lockout            time.Duration
	// AccountBackoffAfter failures of one account from anywhere within
	// FailureWindow put it under attack: its password step then answers
	// alike for right and wrong passwords when it has a second factor, and
	// otherwise waits a backoff that doubles up to AccountBackoffMax. A
	// stranger never locks out a right password plus second factor.
	AccountBackoffAfter int
	AccountBackoffMax   time.Duration
	// ReauthWindow is how recent the password must be (sign-in or the
	// re-authentication page) to set up or replace a second factor.
	ReauthWindow      time.Duration
	SetupLinkLifetime time.Duration // first admin and password reset links
	InviteLifetime    time.Duration // setup links of invited users
	// ResetPerAddress reset mails at most go to one address per
	// ResetWindow, however often "forgot your password?" is asked.
	ResetPerAddress int
	ResetWindow     time.Duration
	// InactiveAfter is how long an account may go without signing in
	// before the account review flags it (DISCLOSE_INACTIVE_AFTER).
	InactiveAfter time.Duration
	Argon2        Argon2Params
}

// DefaultAuthPolicy is what a portal starts with.
var DefaultAuthPolicy = AuthPolicy{
	SessionIdle:        time.Hour,
	SessionLifetime:    12 * time.Hour,
	PendingLifetime:    5 * time.Minute,
	MaxAccountFailures: 5,
	MaxClientFailures:  20,
	FailureWindow:      15 * time.Minute,
	Lockout:            15 * time.Minute,
	// Two networks' worth of the per-network limit.
	AccountBackoffAfter: 10,
	AccountBackoffMax:   time.Minute,
	ReauthWindow:        10 * time.Minute,
	SetupLinkLifetime:   time.Hour,
	InviteLifetime:      72 * time.Hour,
	ResetPerAddress:     3,
	ResetWindow:         time.Hour,
	InactiveAfter:       90 * 24 * time.Hour,
	Argon2:              DefaultArgon2,
}

// Session stages: a full session, or one whose password was checked and
// whose second factor is still awaited.
const (
	stageFull     = "full"
	stagePassword = "password"
)

// sessionTouchEvery bounds how often a request writes last_seen_at.
const sessionTouchEvery = time.Minute

// newToken returns 256 random bits as URL-safe text and their SHA-256 hash,
// which is all the database keeps.
func newToken() (token string, hash []byte, err error) {
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return "", nil, fmt.Errorf("db: token randomness: %w", err)
	}
	token = base64.RawURLEncoding.EncodeToString(buf)
	return token, tokenHash(token), nil
}

func tokenHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// CreateSession starts a signed-in session for the user and returns the
// token for the cookie.
func (db *DB) CreateSession(ctx context.Context, userID int64, clientAddr string) (string, error) {
	return updateValue(ctx, db, func(ctx context.Context, tx *Tx) (string, error) {
		return tx.createSession(ctx, userID, clientAddr, stageFull)
	})
}

func (tx *Tx) createSession(ctx context.Context, userID int64, clientAddr, stage string) (string, error) {
	token, hash, err := newToken()
	if err != nil {
		return "", err
	}
	life := tx.db.Auth.SessionLifetime
	if stage == stagePassword {
		life = tx.db.Auth.PendingLifetime
	}
	now := formatTime(tx.now)
	// Sessions past their lifetime or idle timeout go whenever a new one starts.
	if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= ? OR (stage = 'full' AND last_seen_at <= ?)`,
		now, formatTime(tx.now.Add(-tx.db.Auth.SessionIdle))); err != nil {
		return "", fmt.Errorf("db: purge sessions: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (token_hash, user_id, stage, client_addr, created_at, last_seen_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, hash, userID, stage, clientAddr, now, now, formatTime(tx.now.Add(life))); err != nil {
		return "", fmt.Errorf("db: insert session: %w", err)
	}
	return token, nil
}

// createPending starts a login that awaits its second factor; guarded and
// decoy are explained in migration 0017.
func (tx *Tx) createPending(ctx context.Context, userID int64, clientAddr string, guarded, decoy bool) (string, error) {
	token, err := tx.createSession(ctx, userID, clientAddr, stagePassword)
	if err != nil {
		return "", err
	}
	if guarded || decoy {
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET guarded = ?, decoy = ? WHERE token_hash = ?`, guarded, decoy, tokenHash(token)); err != nil {
			return "", fmt.Errorf("db: mark pending login: %w", err)
		}
	}
	return token, nil
}

// UserBySession returns the user of a full session, loaded with memberships.
// An unknown, expired or idle session, or a disabled user, is EUNAUTHORIZED.
func (db *DB) UserBySession(ctx context.Context, token string) (*User, error) {
	return db.sessionUser(ctx, token, stageFull, db.Auth.SessionIdle)
}

// UserByPendingSession returns the user of a login that awaits its second
// factor.
func (db *DB) UserByPendingSession(ctx context.Context, token string) (*User, error) {
	return db.sessionUser(ctx, token, stagePassword, db.Auth.PendingLifetime)
}

var errNoSession = Errorf(EUNAUTHORIZED, "Please sign in.")

func (db *DB) sessionUser(ctx context.Context, token, stage string, idle time.Duration) (*User, error) {
	if token == "" {
		return nil, errNoSession
	}
	hash := tokenHash(token)
	now := db.Now().UTC()
	rtx, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer rtx.Rollback()
	var lastSeen, expires string
	var require2FA sql.NullString
	var hasPasskey bool
	row := rtx.QueryRowContext(ctx, `SELECT `+userColumns+`, s.last_seen_at, s.expires_at,
		(SELECT CAST(value AS TEXT) FROM settings WHERE key = 'require_2fa'),
		EXISTS (SELECT 1 FROM passkeys k WHERE k.user_id = u.id)
		FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.token_hash = ? AND s.stage = ? AND u.disabled = 0`, hash, stage)
	u, err := scanUser(extraScan{row: row, extra: []any{&lastSeen, &expires, &require2FA, &hasPasskey}})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoSession
	} else if err != nil {
		return nil, fmt.Errorf("db: find session: %w", err)
	}
	seen := parseTime(lastSeen)
	if !now.Before(parseTime(expires)) || !now.Before(seen.Add(idle)) {
		rtx.Rollback()
		if err := db.DeleteSession(ctx, token); err != nil {
			return nil, err
		}
		return nil, errNoSession
	}
	if err := userAccess(ctx, rtx, u); err != nil {
		return nil, err
	}
	u.MustEnroll = require2FA.Valid && require2FA.String == "1" && !u.TOTPEnabled && !hasPasskey
	rtx.Rollback()
	if now.Sub(seen) >= sessionTouchEvery {
		if err := db.exec(ctx, `UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?`, formatTime(now), hash); err != nil {
			return nil, fmt.Errorf("db: touch session: %w", err)
		}
	}
	return u, nil
}

// DeleteSession ends a session (logout); an unknown token is not an error.
func (db *DB) DeleteSession(ctx context.Context, token string) error {
	if err := db.exec(ctx, `DELETE FROM sessions WHERE token_hash = ?`, tokenHash(token)); err != nil {
		return fmt.Errorf("db: delete session: %w", err)
	}
	return nil
}

// Logout ends a session and records it.
func (db *DB) Logout(ctx context.Context, token string, actor Actor) error {
	return db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ?`, tokenHash(token))
		if err != nil {
			return fmt.Errorf("db: delete session: %w", err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			if err := tx.audit(ctx, actor, "logout", actor.Name, ""); err != nil {
				return err
			}
		}
		return nil
	})
}

func (tx *Tx) endSessions(ctx context.Context, userID int64) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, userID); err != nil {
		return fmt.Errorf("db: end sessions: %w", err)
	}
	return nil
}

// extraScan lets a row scan into a user plus extra trailing columns.
type extraScan struct {
	row   interface{ Scan(...any) error }
	extra []any
}

func (e extraScan) Scan(dest ...any) error { return e.row.Scan(append(dest, e.extra...)...) }
