package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Purposes of one-time links.
const (
	TokenFirstAdmin = "first_admin" // creates the first admin of a fresh portal
	TokenSetup      = "setup"       // an invited user chooses a password
	TokenReset      = "reset"       // a user chooses a new password
)

// TokenInfo describes a valid one-time link for the page it opens.
type TokenInfo struct {
	Purpose   string
	UserID    int64 // 0 for the first admin
	Email     string
	ExpiresAt time.Time
}

// ErrTokenInvalid answers a link that is unknown, expired or used.
var ErrTokenInvalid = Errorf(ENOTFOUND, "This link is not valid: it expired or was used already. Ask an admin for a new one.")

func (tx *Tx) createToken(ctx context.Context, userID int64, purpose string, life time.Duration) (string, error) {
	token, hash, err := newToken()
	if err != nil {
		return "", err
	}
	var uid any
	if userID != 0 {
		uid = userID
		// One open link per user: a new one voids the older ones.
		if _, err := tx.ExecContext(ctx, `DELETE FROM user_tokens WHERE user_id = ? AND used_at IS NULL`, userID); err != nil {
			return "", fmt.Errorf("db: void old links: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO user_tokens (token_hash, user_id, purpose, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
		hash, uid, purpose, formatTime(tx.now), formatTime(tx.now.Add(life))); err != nil {
		return "", fmt.Errorf("db: store link: %w", err)
	}
	return token, nil
}

// FirstAdminToken returns a new one-time link token that creates the first
// admin, or "" when accounts exist already. Each call voids the previous
// link, so only the link printed last works.
func (db *DB) FirstAdminToken(ctx context.Context) (string, error) {
	return updateValue(ctx, db, func(ctx context.Context, tx *Tx) (string, error) {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n); err != nil {
			return "", fmt.Errorf("db: count users: %w", err)
		} else if n > 0 {
			return "", nil
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM user_tokens WHERE purpose = ?`, TokenFirstAdmin); err != nil {
			return "", fmt.Errorf("db: void old setup links: %w", err)
		}
		token, err := tx.createToken(ctx, 0, TokenFirstAdmin, db.Auth.SetupLinkLifetime)
		if err != nil {
			return "", err
		}
		return token, tx.audit(ctx, ActorSystem, "setup.link", "first admin", "expires="+formatTime(tx.now.Add(db.Auth.SetupLinkLifetime)))
	})
}

// InviteUser creates an account without a password and returns the
// one-time link token with which its owner chooses one.
func (db *DB) InviteUser(ctx context.Context, in *NewUser, actor Actor) (*User, string, error) {
	in.Password = ""
	if errs := in.Validate(); len(errs) > 0 {
		return nil, "", Invalid(errs)
	}
	var r0 *User
	var r1 string
	err := db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		id, err := tx.createUser(ctx, in, "", actor)
		if err != nil {
			return err
		}
		token, err := tx.createToken(ctx, id, TokenSetup, db.Auth.InviteLifetime)
		if err != nil {
			return err
		}
		u, err := tx.userByID(ctx, id)
		if err != nil {
			return err
		}
		r0, r1 = u, token
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	return r0, r1, nil
}

// ResetLink makes a one-time password reset link for a user (voiding older
// links); the current password keeps working until the link is used.
func (db *DB) ResetLink(ctx context.Context, userID int64, actor Actor) (string, error) {
	var out string
	err := db.updateUser(ctx, userID, func(ctx context.Context, tx *Tx, u *User) error {
		if u.Disabled {
			return Errorf(EINVALID, "Enable the account before resetting its password.")
		}
		purpose, life := TokenReset, db.Auth.SetupLinkLifetime
		if !u.HasPassword {
			purpose, life = TokenSetup, db.Auth.InviteLifetime
		}
		token, err := tx.createToken(ctx, userID, purpose, life)
		if err != nil {
			return err
		}
		if err := tx.audit(ctx, actor, "user."+purpose+"_link", u.Email, "expires="+formatTime(tx.now.Add(life))); err != nil {
			return err
		}
		out = token
		return nil
	})
	if err != nil {
		return "", err
	}
	return out, nil
}

// TokenInfo checks a link without using it. It reads from the reader pool:
// anyone can ask, and the one write connection is the intake's.
func (db *DB) TokenInfo(ctx context.Context, token string) (*TokenInfo, error) {
	rtx, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer rtx.Rollback()
	return tokenInfo(ctx, rtx, token, db.Now().UTC())
}

func (tx *Tx) tokenInfo(ctx context.Context, token string) (*TokenInfo, error) {
	return tokenInfo(ctx, tx, token, tx.now)
}

func tokenInfo(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, token string, now time.Time) (*TokenInfo, error) {
	var ti TokenInfo
	var uid sql.NullInt64
	var email sql.NullString
	var expires string
	err := q.QueryRowContext(ctx, `SELECT t.purpose, t.user_id, u.email, t.expires_at FROM user_tokens t LEFT JOIN users u ON u.id = t.user_id
		WHERE t.token_hash = ? AND t.used_at IS NULL AND (t.user_id IS NULL OR u.disabled = 0)`, tokenHash(token)).Scan(&ti.Purpose, &uid, &email, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrTokenInvalid
	} else if err != nil {
		return nil, fmt.Errorf("db: find link: %w", err)
	}
	ti.UserID, ti.Email, ti.ExpiresAt = uid.Int64, email.String, parseTime(expires)
	if !now.Before(ti.ExpiresAt) {
		return nil, ErrTokenInvalid
	}
	return &ti, nil
}

// Redeem is what a setup or reset link's form sends.
type Redeem struct {
	Email     string // first admin only
	Name      string // first admin and setup
	Password  string
	Password2 string
}

// RedeemToken uses a one-time link: it creates the first admin, or sets the
// password of an invited user, or resets a password (ending every session
// of that user). The link cannot be used again.
func (db *DB) RedeemToken(ctx context.Context, token string, in *Redeem, clientAddr string) (*User, error) {
	// A cheap look first: an invalid link must not cost a password hash.
	if _, err := db.TokenInfo(ctx, token); err != nil {
		return nil, err
	}
	errs := ValidatePassword(in.Password, in.Password2)
	hash := ""
	if len(errs) == 0 {
		var err error
		if hash, err = hashPassword(in.Password, db.Auth.Argon2); err != nil {
			return nil, err
		}
	}
	var out *User
	err := db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		ti, err := tx.tokenInfo(ctx, token)
		if err != nil {
			return err
		}
		uid := ti.UserID
		if ti.Purpose == TokenFirstAdmin {
			nu := &NewUser{Email: in.Email, Name: in.Name, Role: RoleAdmin}
			for k, v := range nu.Validate() {
				errs[k] = v
			}
			if len(errs) > 0 {
				return Invalid(errs)
			}
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n); err != nil {
				return fmt.Errorf("db: count users: %w", err)
			} else if n > 0 {
				return ErrTokenInvalid
			}
			if uid, err = tx.createUser(ctx, nu, hash, Actor{Name: nu.Email, ClientAddr: clientAddr}); err != nil {
				return err
			}
		} else {
			if len(errs) > 0 {
				return Invalid(errs)
			}
			q, args := `UPDATE users SET password_hash = ? WHERE id = ?`, []any{hash, uid}
			if ti.Purpose == TokenSetup && strings.TrimSpace(in.Name) != "" {
				q, args = `UPDATE users SET password_hash = ?, name = ? WHERE id = ?`, []any{hash, strings.TrimSpace(in.Name), uid}
			}
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				return fmt.Errorf("db: set password: %w", err)
			}
			if err := tx.endSessions(ctx, uid); err != nil {
				return err
			}
			if err := tx.clearAccountFailures(ctx, ti.Email); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE user_tokens SET used_at = ? WHERE token_hash = ?`, formatTime(tx.now), tokenHash(token)); err != nil {
			return fmt.Errorf("db: use link: %w", err)
		}
		u, err := tx.userByID(ctx, uid)
		if err != nil {
			return err
		}
		if err := tx.audit(ctx, u.Actor(clientAddr), "user.password_set", u.Email, "via="+ti.Purpose); err != nil {
			return err
		}
		out = u
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Require2FA says whether every staff user must have a second factor.
func (db *DB) Require2FA(ctx context.Context) (bool, error) {
	var v sql.NullString
	err := db.read.QueryRowContext(ctx, `SELECT CAST(value AS TEXT) FROM settings WHERE key = 'require_2fa'`).Scan(&v)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("db: read setting: %w", err)
	}
	return v.String == "1", nil
}

// SetRequire2FA turns the second-factor requirement on or off.
func (db *DB) SetRequire2FA(ctx context.Context, on bool, actor Actor) error {
	return db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		v := "0"
		if on {
			v = "1"
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ('require_2fa', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, v); err != nil {
			return fmt.Errorf("db: store setting: %w", err)
		}
		return tx.audit(ctx, actor, "setting.change", "require_2fa", "value="+v)
	})
}
