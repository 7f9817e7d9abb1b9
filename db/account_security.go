package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ErrReauthRequired refuses a change that needs the password typed again
// recently (AuthPolicy.ReauthWindow): whoever holds a stolen session
// cookie must not be able to take over the account's second factor.
var ErrReauthRequired = Errorf(ECONFLICT, "Confirm your password first.")

// maxReauthFailures is how many wrong passwords one session may type on
// the re-authentication and password pages before it ends: a stolen
// session cookie is good for that many guesses, not for an oracle that
// only the per-network limits slow (and every IPv6 /64 is a new network).
// It is twice the default per-network lock, so a user who mistypes meets
// that lock, and its message, first, as at sign-in.
const maxReauthFailures = 10

// ErrReauthSignedOut answers the wrong password that ended the session
// (maxReauthFailures).
var ErrReauthSignedOut = Errorf(EUNAUTHORIZED, "Too many wrong passwords: you were signed out. Sign in again.")

// errPasswordWrong answers a wrong current password on the account pages.
func errPasswordWrong(field string) error {
	return Invalid(FieldErrors{field: "That is not your current password."})
}

// ReauthWindow is how long a typed password counts as recent.
func (db *DB) ReauthWindow() time.Duration { return db.Auth.ReauthWindow }

// Reauthenticated says whether the password was typed in the session of
// token within the re-authentication window.
func (db *DB) Reauthenticated(ctx context.Context, token string) (bool, error) {
	var at sql.NullString
	err := db.read.QueryRowContext(ctx, `SELECT reauth_at FROM sessions WHERE token_hash = ? AND stage = 'full'`, tokenHash(token)).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return false, errNoSession
	} else if err != nil {
		return false, fmt.Errorf("db: read session: %w", err)
	}
	return at.Valid && db.Now().Sub(parseTime(at.String)) < db.Auth.ReauthWindow, nil
}

// Reauthenticate checks the password of the user signed in with token and
// marks the session as re-authenticated. A wrong password counts like a
// failed sign-in from that client and for the account (a stolen cookie is
// no way to guess the password faster): it waits the account's backoff
// while the account is under attack, and the session ends at the
// maxReauthFailures-th (ErrReauthSignedOut). The answer for a wrong one is
// an EINVALID error on field "password".
func (db *DB) Reauthenticate(ctx context.Context, token, password, clientAddr string) error {
	u, err := db.UserBySession(ctx, token)
	if err != nil {
		return err
	}
	a, err := db.checkOwnPassword(ctx, u, token, password, clientAddr, "password")
	if err != nil {
		return err
	}
	return db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		if err := tx.takeBack(ctx, a.keys...); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET reauth_at = ? WHERE token_hash = ?`, formatTime(tx.now), tokenHash(token)); err != nil {
			return fmt.Errorf("db: record re-authentication: %w", err)
		}
		return tx.audit(ctx, u.Actor(clientAddr), "login.reauth", u.Email, "")
	})
}

// checkOwnPassword checks the password a signed-in user typed in the
// session of token, counted as a sign-in attempt (stepReauth); a wrong one
// is recorded and answered with an EINVALID error on field, or ends the
// session at maxReauthFailures. On success the caller takes back a.keys.
func (db *DB) checkOwnPassword(ctx context.Context, u *User, token, password, clientAddr, field string) (*attempt, error) {
	actor := u.Actor(clientAddr)
	a, err := db.beginAttempt(ctx, u.Email, clientAddr, actor, stepReauth, loginKeys(u.Email, clientAddr)...)
	if err != nil {
		return nil, err
	}
	var hash string
	if err := db.read.QueryRowContext(ctx, `SELECT password_hash FROM users WHERE id = ?`, u.ID).Scan(&hash); err != nil {
		return nil, fmt.Errorf("db: read password: %w", err)
	}
	if ok, _ := checkPassword(hash, password, db.Auth.Argon2); ok {
		return a, nil
	}
	// The failure is recorded (fn returns nil), then refused.
	var refusal error
	err = db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		if _, err := tx.attemptFailed(ctx, a, actor, "login.reauth_failed", "wrong password"); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `UPDATE sessions SET reauth_failures = reauth_failures + 1 WHERE token_hash = ?
			RETURNING reauth_failures`, tokenHash(token)).Scan(&n); errors.Is(err, sql.ErrNoRows) {
			n = maxReauthFailures // the session ended meanwhile
		} else if err != nil {
			return fmt.Errorf("db: count wrong re-authentication: %w", err)
		}
		refusal = errPasswordWrong(field)
		if n < maxReauthFailures {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ?`, tokenHash(token)); err != nil {
			return fmt.Errorf("db: end session: %w", err)
		}
		refusal = ErrReauthSignedOut
		return tx.audit(ctx, actor, "session.end", u.Email, fmt.Sprintf("wrong re-authentications=%d", n))
	})
	if err != nil {
		return nil, err
	}
	return nil, refusal
}

// ChangePassword sets a new password for the user signed in with token,
// who proves the current one (fields "current", "password", "password2" on
// an EINVALID error), counted as Reauthenticate counts it. Every other session of the user ends, and open reset
// links stop working; the session of token stays, re-authenticated. It
// returns how many sessions ended.
func (db *DB) ChangePassword(ctx context.Context, token, current, password, password2, clientAddr string) (int, error) {
	u, err := db.UserBySession(ctx, token)
	if err != nil {
		return 0, err
	}
	errs := ValidatePassword(password, password2)
	if current == "" {
		errs["current"] = "Enter your current password."
	} else if len(errs) == 0 && password == current {
		errs["password"] = "Choose a password other than your current one."
	}
	if len(errs) > 0 {
		return 0, Invalid(errs)
	}
	a, err := db.checkOwnPassword(ctx, u, token, current, clientAddr, "current")
	if err != nil {
		return 0, err
	}
	hash, err := hashPassword(password, db.Auth.Argon2)
	if err != nil {
		return 0, err
	}
	var n int
	err = db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		if err := tx.takeBack(ctx, a.keys...); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ? WHERE id = ?`, hash, u.ID); err != nil {
			return fmt.Errorf("db: change password: %w", err)
		}
		var err error
		if n, err = tx.endOtherSessions(ctx, u.ID, token); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM user_tokens WHERE user_id = ? AND purpose = 'reset' AND used_at IS NULL`, u.ID); err != nil {
			return fmt.Errorf("db: void reset links: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET reauth_at = ? WHERE token_hash = ?`, formatTime(tx.now), tokenHash(token)); err != nil {
			return fmt.Errorf("db: record re-authentication: %w", err)
		}
		return tx.audit(ctx, u.Actor(clientAddr), "user.password_change", u.Email, fmt.Sprintf("sessions_ended=%d", n))
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// ReplaceTOTP turns off the second factor of the user signed in with token
// so that a new one can be set up (StartTOTP) on a new device. It needs a
// recent re-authentication; every other session ends, since whoever has
// the old device may have a browser signed in with it.
func (db *DB) ReplaceTOTP(ctx context.Context, token string, actor Actor) error {
	u, err := db.UserBySession(ctx, token)
	if err != nil {
		return err
	}
	if fresh, err := db.Reauthenticated(ctx, token); err != nil {
		return err
	} else if !fresh {
		return ErrReauthRequired
	}
	return db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET totp_secret = '', totp_enabled = 0, totp_last_step = 0 WHERE id = ? AND totp_enabled = 1`, u.ID)
		if err != nil {
			return fmt.Errorf("db: replace totp: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return Errorf(ECONFLICT, "Two-factor sign-in is not on.")
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE user_id = ?`, u.ID); err != nil {
			return fmt.Errorf("db: delete recovery codes: %w", err)
		}
		n, err := tx.endOtherSessions(ctx, u.ID, token)
		if err != nil {
			return err
		}
		return tx.audit(ctx, actor, "user.2fa_replace", u.Email, fmt.Sprintf("sessions_ended=%d", n))
	})
}
