package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// Login checks an email and password. On success it returns a full session,
// or a pending one when the account has a second factor. Every outcome is in
// the audit log.
//
// While the account is under attack (AuthPolicy.AccountBackoffAfter
// failures from anywhere within the window) and has a second factor, or
// cannot sign in at all (no such account, disabled, no password), a wrong
// password gets a pending login too: a decoy (login_decoy.go), which fails
// at the code step exactly as a right password with a wrong code does
// (ErrSignInNotFinished), counted alike for every address. A stranger then
// learns nothing from the password or the code step, however many networks
// they try from, and the real user, who has the password and the code,
// signs in as always.
func (db *DB) Login(ctx context.Context, email, password, clientAddr string) (*LoginResult, error) {
	email = strings.TrimSpace(email)
	actor := Actor{Name: auditEmail(email), ClientAddr: clientAddr}
	var (
		id       int64
		hash     string
		disabled bool
		totpOn   bool
	)
	// A passkey is a second factor as TOTP is (passkey.go).
	err := db.read.QueryRowContext(ctx, `SELECT id, password_hash, disabled,
		totp_enabled OR EXISTS (SELECT 1 FROM passkeys k WHERE k.user_id = users.id) FROM users WHERE email = ?`, email).
		Scan(&id, &hash, &disabled, &totpOn)
	found := !errors.Is(err, sql.ErrNoRows)
	if err != nil && found {
		return nil, fmt.Errorf("db: find user for login: %w", err)
	}
	// An address that cannot sign in is shielded like an account with a
	// second factor: without a second factor it would wait the backoff an
	// unknown address does not, and tell a stranger it is an account.
	st := stepPassword
	if !found || disabled || hash == "" || totpOn {
		st = stepPasswordShielded
	}
	a, err := db.beginAttempt(ctx, email, clientAddr, actor, st, loginKeys(email, clientAddr)...)
	if err != nil {
		return nil, err
	}
	reason := ""
	ok, stale := false, false
	switch {
	case !found:
		burnPasswordTime(password, db.Auth.Argon2)
		reason = "unknown account"
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
	guarded := a.guarded && st == stepPasswordShielded

	if !ok {
		// The failure is recorded (fn returns nil), then refused.
		res := &LoginResult{Decoy: guarded}
		err := db.Update(ctx, func(ctx context.Context, tx *Tx) error {
			var err error
			if res.LockedNow, err = tx.attemptFailed(ctx, a, actor, "login.failed", reason); err != nil {
				return err
			}
			if guarded {
				// The decoy: what a right password would get.
				res.PendingToken, err = tx.createDecoy(ctx, email)
			}
			return err
		})
		switch {
		case err != nil:
			return nil, err
		case guarded:
			return res, nil
		}
		return res, ErrLoginFailed
	}
	res := &LoginResult{}
	err = db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		var err error
		switch {
		case guarded:
			// Counted like a failure until the code is right (LoginSecondFactor):
			// the locks that follow must not depend on the password.
			_, err = tx.applyLimits(ctx, a, actor)
		case totpOn:
			// Only the second factor ends the count: a right password clearing
			// it would let someone who has the password guess codes forever,
			// one password step between each wrong code.
			err = tx.takeBack(ctx, a.keys...)
		default:
			err = tx.signedIn(ctx, a, 0)
		}
		if err != nil {
			return err
		}
		if newHash != "" {
			if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ? WHERE id = ?`, newHash, id); err != nil {
				return fmt.Errorf("db: rehash password: %w", err)
			}
			if err := tx.audit(ctx, Actor{UserID: id, Name: email, ClientAddr: clientAddr}, "user.password_rehash", email, ""); err != nil {
				return err
			}
		}
		if totpOn {
			if res.PendingToken, err = tx.createPending(ctx, id, clientAddr, guarded, false); err != nil {
				return err
			}
		} else if res.Token, err = tx.completeLogin(ctx, id, email, clientAddr, "password"); err != nil {
			return err
		}
		res.User, err = tx.userByID(ctx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// completeLogin starts the full session: always a new token, so a token
// planted before login (session fixation) is worth nothing after it. The
// password was just typed, so the session counts as re-authenticated.
func (tx *Tx) completeLogin(ctx context.Context, userID int64, email, clientAddr, how string) (string, error) {
	token, err := tx.createSession(ctx, userID, clientAddr, stageFull)
	if err != nil {
		return "", err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE sessions SET reauth_at = created_at WHERE token_hash = ?`, tokenHash(token)); err != nil {
		return "", fmt.Errorf("db: record sign-in: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE users SET last_login_at = ? WHERE id = ?`, formatTime(tx.now), userID); err != nil {
		return "", fmt.Errorf("db: record login: %w", err)
	}
	if err := tx.audit(ctx, Actor{UserID: userID, Name: email, ClientAddr: clientAddr}, "login", email, how); err != nil {
		return "", err
	}
	return token, nil
}
