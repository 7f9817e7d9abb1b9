package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// A decoy is the pending login a wrong password gets while its address is
// under attack (Login): it looks like the pending login a right password
// gets, and its code step fails like a wrong code. Every decoy is the same
// kind of row (login_decoys, migration 0019), keyed by the address typed
// and tied to no user, whether the address is an account with a second
// factor, no account at all, a disabled account or one with no password;
// and its code step counts the same keys with the same backoff for all. A
// stranger then cannot tell which addresses are accounts by probing the
// code step (a real account's decoy used to be counted, no account's not).

// createDecoy starts a decoy for email and returns its token.
func (tx *Tx) createDecoy(ctx context.Context, email string) (string, error) {
	token, hash, err := newToken()
	if err != nil {
		return "", err
	}
	now := formatTime(tx.now)
	if _, err := tx.ExecContext(ctx, `DELETE FROM login_decoys WHERE expires_at <= ?`, now); err != nil {
		return "", fmt.Errorf("db: purge decoys: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO login_decoys (token_hash, email, expires_at) VALUES (?, ?, ?)`,
		hash, normalEmail(email), formatTime(tx.now.Add(tx.db.Auth.PendingLifetime))); err != nil {
		return "", fmt.Errorf("db: insert decoy: %w", err)
	}
	return token, nil
}

// decoySecondFactor answers the code step of a pending token that is no
// real pending login. A decoy is answered as a real account's guarded login
// with a wrong code is (LoginSecondFactor): counted under its address's
// pair, client and account keys, backoff and locks included, ended, and
// ErrSignInNotFinished. Anything else (expired, made up) is refused without
// counting, as an expired pending login is.
func (db *DB) decoySecondFactor(ctx context.Context, token, clientAddr string) (*LoginResult, error) {
	var email string
	err := db.read.QueryRowContext(ctx, `SELECT email FROM login_decoys WHERE token_hash = ? AND expires_at > ?`,
		tokenHash(token), formatTime(db.Now())).Scan(&email)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrSignInNotFinished
	} else if err != nil {
		return nil, fmt.Errorf("db: read decoy: %w", err)
	}
	actor := Actor{Name: auditEmail(email), ClientAddr: clientAddr}
	a, err := db.beginAttempt(ctx, email, clientAddr, actor, stepCodeGuarded, loginKeys(email, clientAddr)...)
	if err != nil {
		return nil, err
	}
	a.guarded, a.decoy = true, true
	var locked bool
	err = db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		var err error
		if locked, err = tx.attemptFailed(ctx, a, actor, "login.2fa_failed", codeFailure(a)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM login_decoys WHERE token_hash = ?`, tokenHash(token)); err != nil {
			return fmt.Errorf("db: end decoy: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &LoginResult{LockedNow: locked}, ErrSignInNotFinished
}
