package db

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"database/sql"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// TOTPIssuer names the portal in authenticator apps.
const TOTPIssuer = "disclose"

// RecoveryCodeCount is how many one-time recovery codes an enrolment makes.
const RecoveryCodeCount = 10

var totpOpts = totp.ValidateOpts{Period: 30, Skew: 0, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// TOTPEnrolment is a second factor being set up: the secret is stored but
// not yet required until the user proves their app computes it.
type TOTPEnrolment struct {
	Secret string // base32, shown as text for manual entry
	URL    string // otpauth:// URI, shown as a QR code
}

// StartTOTP makes a new secret for the user (replacing an unconfirmed one)
// and returns it. A user with TOTP enabled must reset it first.
func (db *DB) StartTOTP(ctx context.Context, userID int64) (*TOTPEnrolment, error) {
	var out *TOTPEnrolment
	err := db.updateUser(ctx, userID, func(ctx context.Context, tx *Tx, u *User) error {
		if u.TOTPEnabled {
			return Errorf(ECONFLICT, "Two-factor sign-in is already on.")
		}
		key, err := totp.Generate(totp.GenerateOpts{Issuer: TOTPIssuer, AccountName: u.Email, SecretSize: 20, Rand: rand.Reader})
		if err != nil {
			return fmt.Errorf("db: totp secret: %w", err)
		}
		sealed, err := db.sealSecret(secretTOTP, key.Secret())
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET totp_secret = ?, totp_last_step = 0 WHERE id = ?`, sealed, userID); err != nil {
			return fmt.Errorf("db: store totp secret: %w", err)
		}
		out = &TOTPEnrolment{Secret: key.Secret(), URL: key.URL()}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// PendingTOTP returns the unconfirmed secret of the user, for the QR code.
func (db *DB) PendingTOTP(ctx context.Context, userID int64) (*TOTPEnrolment, error) {
	var email, secret string
	var enabled bool
	err := db.read.QueryRowContext(ctx, `SELECT email, totp_secret, totp_enabled FROM users WHERE id = ?`, userID).Scan(&email, &secret, &enabled)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && (secret == "" || enabled)) {
		return nil, Errorf(ENOTFOUND, "No two-factor setup is in progress.")
	} else if err != nil {
		return nil, fmt.Errorf("db: read totp: %w", err)
	}
	if secret, err = db.openSecret(secretTOTP, secret); err != nil {
		return nil, err
	}
	raw, err := recoveryEncoding.DecodeString(strings.ToUpper(secret))
	if err != nil {
		return nil, fmt.Errorf("db: stored totp secret: %w", err)
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: TOTPIssuer, AccountName: email, Secret: raw})
	if err != nil {
		return nil, fmt.Errorf("db: totp url: %w", err)
	}
	return &TOTPEnrolment{Secret: secret, URL: key.URL()}, nil
}

// ConfirmTOTP turns the second factor on once the user typed a code their
// app computed, and returns the recovery codes (shown once, stored hashed).
func (db *DB) ConfirmTOTP(ctx context.Context, userID int64, code string, actor Actor) ([]string, error) {
	return updateValue(ctx, db, func(ctx context.Context, tx *Tx) ([]string, error) {
		var err error
		var secret string
		var enabled bool
		if err := tx.QueryRowContext(ctx, `SELECT totp_secret, totp_enabled FROM users WHERE id = ?`, userID).Scan(&secret, &enabled); err != nil {
			return nil, fmt.Errorf("db: read totp: %w", err)
		}
		if secret, err = db.openSecret(secretTOTP, secret); err != nil {
			return nil, err
		}
		if enabled || secret == "" {
			return nil, Errorf(ECONFLICT, "Start the two-factor setup again.")
		}
		step, ok := matchTOTP(secret, code, tx.now, 0)
		if !ok {
			return nil, ErrCodeWrong
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET totp_enabled = 1, totp_last_step = ? WHERE id = ?`, step, userID); err != nil {
			return nil, fmt.Errorf("db: enable totp: %w", err)
		}
		codes, err := tx.newRecoveryCodes(ctx, userID)
		if err != nil {
			return nil, err
		}
		if err := tx.audit(ctx, actor, "user.2fa_enable", actor.Name, ""); err != nil {
			return nil, err
		}
		return codes, nil
	})
}

// ResetTOTP turns the second factor off (an admin helping a user who lost
// their device); the user enrols again at next sign-in when it is required.
// The account's sessions end, and so do logins waiting for a code: whoever
// has the lost device may also have a browser signed in with it.
func (db *DB) ResetTOTP(ctx context.Context, userID int64, actor Actor) error {
	return db.updateUser(ctx, userID, func(ctx context.Context, tx *Tx, u *User) error {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET totp_secret = '', totp_enabled = 0, totp_last_step = 0 WHERE id = ?`, userID); err != nil {
			return fmt.Errorf("db: reset totp: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE user_id = ?`, userID); err != nil {
			return fmt.Errorf("db: delete recovery codes: %w", err)
		}
		if err := tx.endSessions(ctx, userID); err != nil {
			return err
		}
		return tx.audit(ctx, actor, "user.2fa_reset", u.Email, "")
	})
}

// matchTOTP checks code against the time steps around now (one step of
// clock drift either way) and returns the step it matched; a step at or
// before lastStep was used already and is refused (replay).
func matchTOTP(secret, code string, now time.Time, lastStep int64) (int64, bool) {
	code = strings.TrimSpace(strings.ReplaceAll(code, " ", ""))
	// An empty secret (second factor reset) would still yield codes: the
	// HMAC of an empty key is as computable by anyone as by the app.
	if len(code) != 6 || secret == "" {
		return 0, false
	}
	cur := now.Unix() / 30
	for _, step := range []int64{cur - 1, cur, cur + 1} {
		want, err := totp.GenerateCodeCustom(secret, time.Unix(step*30, 0), totpOpts)
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 && step > lastStep {
			return step, true
		}
	}
	return 0, false
}

// recoveryEncoding is base32 without padding (TOTP secrets use it too);
// recovery codes are lower-cased when shown.
var recoveryEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

func (tx *Tx) newRecoveryCodes(ctx context.Context, userID int64) ([]string, error) {
	if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE user_id = ?`, userID); err != nil {
		return nil, fmt.Errorf("db: delete recovery codes: %w", err)
	}
	codes := make([]string, RecoveryCodeCount)
	for i := range codes {
		buf := make([]byte, 10) // 80 bits
		if _, err := rand.Read(buf); err != nil {
			return nil, fmt.Errorf("db: recovery randomness: %w", err)
		}
		s := strings.ToLower(recoveryEncoding.EncodeToString(buf))
		codes[i] = s[0:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:16]
		if _, err := tx.ExecContext(ctx, `INSERT INTO recovery_codes (user_id, code_hash) VALUES (?, ?)`, userID, tokenHash(normalizeRecovery(codes[i]))); err != nil {
			return nil, fmt.Errorf("db: store recovery code: %w", err)
		}
	}
	return codes, nil
}

func normalizeRecovery(code string) string {
	return strings.ToLower(strings.NewReplacer("-", "", " ", "").Replace(strings.TrimSpace(code)))
}

// useRecoveryCode spends one recovery code; each works once.
func (tx *Tx) useRecoveryCode(ctx context.Context, userID int64, code string) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at IS NULL`,
		formatTime(tx.now), userID, tokenHash(normalizeRecovery(code)))
	if err != nil {
		return false, fmt.Errorf("db: use recovery code: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// RecoveryCodesLeft counts the unused recovery codes of a user.
func (db *DB) RecoveryCodesLeft(ctx context.Context, userID int64) (int, error) {
	var n int
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM recovery_codes WHERE user_id = ? AND used_at IS NULL`, userID).Scan(&n); err != nil {
		return 0, fmt.Errorf("db: count recovery codes: %w", err)
	}
	return n, nil
}

// LoginSecondFactor finishes a login whose password was right: a current
// TOTP code or an unused recovery code starts the full session (a new token;
// the pending one is deleted). Wrong codes count towards the lockout. A
// login begun while the account was under attack (Login) gets one code:
// any failure ends it with ErrSignInNotFinished, decoy or not.
func (db *DB) LoginSecondFactor(ctx context.Context, pendingToken, code, clientAddr string) (*LoginResult, error) {
	u, err := db.UserByPendingSession(ctx, pendingToken)
	if err != nil {
		return db.decoySecondFactor(ctx, pendingToken, clientAddr)
	}
	actor := u.Actor(clientAddr)
	a, err := db.beginCodeAttempt(ctx, u, pendingToken, clientAddr, actor)
	if err != nil {
		return nil, err
	}
	// A wrong code is recorded (fn returns nil), then refused.
	var res *LoginResult
	var refusal error
	err = db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		var secret string
		var lastStep int64
		if err := tx.QueryRowContext(ctx, `SELECT totp_secret, totp_last_step FROM users WHERE id = ?`, u.ID).Scan(&secret, &lastStep); err != nil {
			return fmt.Errorf("db: read totp: %w", err)
		}
		secret, err := db.openSecret(secretTOTP, secret)
		if err != nil {
			return err
		}
		how := ""
		if a.codeLocked {
			// Answered below like a wrong code; nothing of the account is spent.
		} else if step, ok := matchTOTP(secret, code, tx.now, lastStep); ok {
			how = "totp"
			if _, err := tx.ExecContext(ctx, `UPDATE users SET totp_last_step = ? WHERE id = ?`, step, u.ID); err != nil {
				return fmt.Errorf("db: record totp step: %w", err)
			}
		} else if len(normalizeRecovery(code)) == 16 {
			ok, err := tx.useRecoveryCode(ctx, u.ID, code)
			if err != nil {
				return err
			} else if ok {
				how = "recovery code"
			}
		}
		if how == "" {
			locked, err := tx.attemptFailed(ctx, a, actor, "login.2fa_failed", codeFailure(a))
			if err != nil {
				return err
			}
			if locked || a.guarded {
				if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ?`, tokenHash(pendingToken)); err != nil {
					return fmt.Errorf("db: end pending login: %w", err)
				}
			}
			res, refusal = &LoginResult{LockedNow: locked}, ErrCodeWrong
			if a.guarded {
				refusal = ErrSignInNotFinished
			}
			return nil
		}
		if err := tx.signedIn(ctx, a, guardedExtra(a)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ?`, tokenHash(pendingToken)); err != nil {
			return fmt.Errorf("db: end pending login: %w", err)
		}
		res = &LoginResult{User: u}
		res.Token, err = tx.completeLogin(ctx, u.ID, u.Email, clientAddr, "password+"+how)
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, refusal
}
