package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// A reporter's status session: the receipt code opens the report on one
// browser, which then holds a random token (256 bits) in a cookie. The
// database keeps only the token's SHA-256 hash and decides expiry itself,
// so neither a copy of the database nor a browser that keeps the cookie
// longer than told can open a report: the token is looked up by its hash
// (no comparison of secret bytes that could leak timing), and idle or old
// sessions are refused and deleted when presented.
const (
	// StatusSessionIdle ends a status session not used for this long.
	StatusSessionIdle = time.Hour
	// StatusSessionLifetime ends a status session this long after the code
	// was typed, used or not.
	StatusSessionLifetime = 12 * time.Hour
)

// statusTouchEvery bounds how often a status page view writes last_seen_at.
const statusTouchEvery = time.Minute

// errNoStatusSession answers a missing, unknown, ended or expired session.
var errNoStatusSession = Errorf(EUNAUTHORIZED, "Your session on this report ended. Enter your receipt code again.")

// StartStatusSession checks a receipt code and starts a status session on
// its report, returning the token for the cookie. It rotates: the session
// the browser held before (previous, "" for none) and every other session of
// the report end, so a report has at most one open session and a cookie
// planted or left behind before the code was typed opens nothing. A wrong
// code is ENOTFOUND, like ReportByReceipt, and costs no write.
func (db *DB) StartStatusSession(ctx context.Context, code, previous string) (string, error) {
	r, err := db.ReportByReceipt(ctx, code)
	if err != nil {
		return "", err
	}
	token, hash, err := newToken()
	if err != nil {
		return "", err
	}
	err = db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		now := formatTime(tx.now)
		if _, err := tx.ExecContext(ctx, `DELETE FROM status_sessions WHERE expires_at <= ? OR last_seen_at <= ? OR report_id = ? OR token_hash = ?`,
			now, formatTime(tx.now.Add(-StatusSessionIdle)), r.ID, tokenHash(previous)); err != nil {
			return fmt.Errorf("db: end old status sessions: %w", err)
		}
		// The report may have been anonymised since the code was checked: the
		// insert then adds nothing and the code is as wrong as any other.
		res, err := tx.ExecContext(ctx, `INSERT INTO status_sessions (token_hash, report_id, created_at, last_seen_at, expires_at)
			SELECT ?, id, ?, ?, ? FROM reports WHERE id = ? AND receipt_hash IS NOT NULL AND anonymised_at IS NULL`,
			hash, now, now, formatTime(tx.now.Add(StatusSessionLifetime)), r.ID)
		if err != nil {
			return fmt.Errorf("db: start status session: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return Errorf(ENOTFOUND, "That receipt code is not right. Check it and try again.")
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return token, nil
}

// ReportByStatusSession returns the report a status session opens.
// A session past its idle time or lifetime is deleted and refused, whatever
// the browser still sends.
func (db *DB) ReportByStatusSession(ctx context.Context, token string) (*Report, error) {
	if token == "" {
		return nil, errNoStatusSession
	}
	hash := tokenHash(token)
	now := db.Now().UTC()
	var reportID int64
	var lastSeen, expires string
	err := db.read.QueryRowContext(ctx, `SELECT s.report_id, s.last_seen_at, s.expires_at
		FROM status_sessions s JOIN reports r ON r.id = s.report_id
		WHERE s.token_hash = ? AND r.receipt_hash IS NOT NULL AND r.anonymised_at IS NULL`, hash).Scan(&reportID, &lastSeen, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoStatusSession
	} else if err != nil {
		return nil, fmt.Errorf("db: find status session: %w", err)
	}
	seen := parseTime(lastSeen)
	// The two writes below are housekeeping, and their failure (a full
	// disk, the database locked by another process) must not stop reporters
	// from reading their page: an expired session is refused all the same,
	// and a session not touched only ends sooner.
	if !now.Before(parseTime(expires)) || !now.Before(seen.Add(StatusSessionIdle)) {
		_ = db.EndStatusSession(ctx, token)
		return nil, errNoStatusSession
	}
	if now.Sub(seen) >= statusTouchEvery {
		_ = db.exec(ctx, `UPDATE status_sessions SET last_seen_at = ? WHERE token_hash = ?`, formatTime(now), hash)
	}
	r, err := db.ReportByID(ctx, reportID)
	if ErrorCode(err) == ENOTFOUND {
		return nil, errNoStatusSession
	}
	return r, err
}

// EndStatusSession ends a status session ("close this report on this
// browser"); an unknown token is not an error.
func (db *DB) EndStatusSession(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	if err := db.exec(ctx, `DELETE FROM status_sessions WHERE token_hash = ?`, tokenHash(token)); err != nil {
		return fmt.Errorf("db: end status session: %w", err)
	}
	return nil
}
