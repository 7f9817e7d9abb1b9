package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Passkey is a WebAuthn credential of a staff account as its owner sees
// it: a name, when it was added and last used.
type Passkey struct {
	ID           int64
	UserID       int64
	CredentialID []byte
	Name         string
	// Credential is the relying party's record (handlers: go-webauthn's
	// Credential as JSON); db keeps it opaque.
	Credential string
	CreatedAt  time.Time
	LastUsedAt time.Time // zero: never used
}

// Passkey ceremonies (passkey_challenges.purpose).
const (
	PasskeyRegister     = "register"
	PasskeyLogin        = "login"
	PasskeySecondFactor = "second_factor"
)

// PasskeyChallengeLifetime is how long a ceremony may take.
const PasskeyChallengeLifetime = 5 * time.Minute

// ErrPasskeyCeremony answers a ceremony that is unknown, used, expired or
// of another browser, and an assertion that does not verify. One answer.
var ErrPasskeyCeremony = Errorf(EUNAUTHORIZED, "The passkey was not accepted, or it took too long. Try again.")

// ValidPasskeyName checks a passkey's name.
func ValidPasskeyName(name string) (string, FieldErrors) {
	name = strings.TrimSpace(name)
	if n := len([]rune(name)); n == 0 || n > 60 {
		return name, FieldErrors{"name": "Name the passkey (at most 60 characters), like “YubiKey” or “Laptop”."}
	}
	return name, nil
}

// AddPasskey stores a passkey the user just registered. When the account
// has no second factor yet it gets recovery codes, returned to be shown
// once: they keep working when a passkey is lost.
func (db *DB) AddPasskey(ctx context.Context, userID int64, credentialID []byte, name, credential string, actor Actor) ([]string, error) {
	name, errs := ValidPasskeyName(name)
	if errs != nil {
		return nil, Invalid(errs)
	}
	var codes []string
	err := db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		var totpOn bool
		var keys, left int
		if err := tx.QueryRowContext(ctx, `SELECT totp_enabled, (SELECT COUNT(*) FROM passkeys WHERE user_id = ?1),
			(SELECT COUNT(*) FROM recovery_codes WHERE user_id = ?1 AND used_at IS NULL) FROM users WHERE id = ?1`, userID).
			Scan(&totpOn, &keys, &left); errors.Is(err, sql.ErrNoRows) {
			return Errorf(ENOTFOUND, "User not found.")
		} else if err != nil {
			return fmt.Errorf("db: read second factors: %w", err)
		}
		if keys >= 20 {
			return Invalid(FieldErrors{"name": "An account holds at most 20 passkeys: remove one first."})
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO passkeys (user_id, credential_id, name, credential, created_at) VALUES (?, ?, ?, ?, ?)`,
			userID, credentialID, name, credential, formatTime(tx.now)); err != nil {
			if isUnique(err) {
				return Invalid(FieldErrors{"name": "This passkey is registered already."})
			}
			return fmt.Errorf("db: insert passkey: %w", err)
		}
		if !totpOn && keys == 0 && left == 0 {
			var err error
			if codes, err = tx.newRecoveryCodes(ctx, userID); err != nil {
				return err
			}
		}
		return tx.audit(ctx, actor, "passkey.add", actor.Name, "name="+name)
	})
	return codes, err
}

const passkeyColumns = `id, user_id, credential_id, name, credential, created_at, COALESCE(last_used_at, '')`

func scanPasskey(row interface{ Scan(...any) error }) (*Passkey, error) {
	k := &Passkey{}
	var created, used string
	if err := row.Scan(&k.ID, &k.UserID, &k.CredentialID, &k.Name, &k.Credential, &created, &used); err != nil {
		return nil, err
	}
	k.CreatedAt = parseTime(created)
	if used != "" {
		k.LastUsedAt = parseTime(used)
	}
	return k, nil
}

// Passkeys lists a user's passkeys, oldest first.
func (db *DB) Passkeys(ctx context.Context, userID int64) ([]*Passkey, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+passkeyColumns+` FROM passkeys WHERE user_id = ? ORDER BY id`, userID)
	if err != nil {
		return nil, fmt.Errorf("db: list passkeys: %w", err)
	}
	defer rows.Close()
	var out []*Passkey
	for rows.Next() {
		k, err := scanPasskey(rows)
		if err != nil {
			return nil, fmt.Errorf("db: read passkey: %w", err)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("db: list passkeys: %w", err)
	}
	return out, nil
}

// RenamePasskey renames one of the user's passkeys; another user's is
// ENOTFOUND like one that does not exist.
func (db *DB) RenamePasskey(ctx context.Context, userID, id int64, name string, actor Actor) error {
	return db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM passkeys WHERE id = ? AND user_id = ?`, id, userID).Scan(&n); err != nil {
			return fmt.Errorf("db: find passkey: %w", err)
		} else if n == 0 {
			return Errorf(ENOTFOUND, "Passkey not found.")
		}
		name, errs := ValidPasskeyName(name)
		if errs != nil {
			return Invalid(errs)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE passkeys SET name = ? WHERE id = ? AND user_id = ?`, name, id, userID); err != nil {
			return fmt.Errorf("db: rename passkey: %w", err)
		}
		return tx.audit(ctx, actor, "passkey.rename", actor.Name, fmt.Sprintf("id=%d name=%s", id, name))
	})
}

// DeletePasskey removes one of the user's passkeys: it signs in no more.
func (db *DB) DeletePasskey(ctx context.Context, userID, id int64, actor Actor) error {
	return db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		var name string
		err := tx.QueryRowContext(ctx, `DELETE FROM passkeys WHERE id = ? AND user_id = ? RETURNING name`, id, userID).Scan(&name)
		if errors.Is(err, sql.ErrNoRows) {
			return Errorf(ENOTFOUND, "Passkey not found.")
		} else if err != nil {
			return fmt.Errorf("db: delete passkey: %w", err)
		}
		return tx.audit(ctx, actor, "passkey.remove", actor.Name, "name="+name)
	})
}

// BeginPasskey keeps the session data of a ceremony under the hash of a
// new token (for the browser's cookie), returned. userID 0: a sign-in
// without password (or the passkey step after one), begun by a stranger
// from clientAddr and bounded per network (passkey_limit.go); crowded
// says the portal's bound was reached and the oldest ceremony of the
// network holding most was ended to make room. Ceremonies past their
// lifetime go whenever one starts.
func (db *DB) BeginPasskey(ctx context.Context, userID int64, purpose, session, clientAddr string) (token string, crowded bool, err error) {
	token, hash, err := newToken()
	if err != nil {
		return "", false, err
	}
	err = db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM passkey_challenges WHERE expires_at <= ?`, formatTime(tx.now)); err != nil {
			return fmt.Errorf("db: purge passkey challenges: %w", err)
		}
		user, network, site, client := sql.NullInt64{Int64: userID, Valid: userID != 0}, "", "", ""
		if userID == 0 {
			network, site, client = PairNetwork(clientAddr), PasskeySite(clientAddr), ClientNetwork(clientAddr)
			var err error
			if crowded, err = tx.makeRoomForSignIn(ctx, passkeySignIns, network, site, client); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO passkey_challenges (token_hash, user_id, purpose, session, expires_at, network, site, client)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, hash, user, purpose, session, formatTime(tx.now.Add(PasskeyChallengeLifetime)), network, site, client); err != nil {
			return fmt.Errorf("db: insert passkey challenge: %w", err)
		}
		return nil
	})
	if err != nil {
		return "", false, err
	}
	return token, crowded, nil
}

// TakePasskey ends the ceremony of token, used or not, and returns its
// user (0: none) and session data; it must be of purpose and in time.
func (db *DB) TakePasskey(ctx context.Context, token, purpose string) (int64, string, error) {
	if token == "" {
		return 0, "", ErrPasskeyCeremony
	}
	var user sql.NullInt64
	var got, session, expires string
	err := db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		err := tx.QueryRowContext(ctx, `DELETE FROM passkey_challenges WHERE token_hash = ? RETURNING user_id, purpose, session, expires_at`,
			tokenHash(token)).Scan(&user, &got, &session, &expires)
		if errors.Is(err, sql.ErrNoRows) {
			got = ""
			return nil
		} else if err != nil {
			return fmt.Errorf("db: take passkey challenge: %w", err)
		}
		if !tx.now.Before(parseTime(expires)) {
			got = ""
		}
		return nil
	})
	if err != nil {
		return 0, "", err
	}
	if got != purpose {
		return 0, "", ErrPasskeyCeremony
	}
	return user.Int64, session, nil
}

// PasskeyByCredentialID finds a passkey by the id the authenticator sent.
func (db *DB) PasskeyByCredentialID(ctx context.Context, credentialID []byte) (*Passkey, error) {
	k, err := scanPasskey(db.read.QueryRowContext(ctx, `SELECT `+passkeyColumns+` FROM passkeys WHERE credential_id = ?`, credentialID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrPasskeyCeremony
	} else if err != nil {
		return nil, fmt.Errorf("db: find passkey: %w", err)
	}
	return k, nil
}

// PasskeySignIn records a verified assertion (the new credential record,
// with its sign counter) and starts the session: a sign-in without
// password when pendingToken is "", else the second factor of that pending
// login, which must be the same account's. A disabled account is refused.
func (db *DB) PasskeySignIn(ctx context.Context, userID int64, credentialID []byte, credential, pendingToken, clientAddr string) (*LoginResult, error) {
	res := &LoginResult{}
	var refusal error
	err := db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		u, err := tx.userByID(ctx, userID)
		if err != nil {
			return err
		}
		how := "passkey"
		if pendingToken != "" {
			res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ? AND user_id = ? AND stage = ? AND expires_at > ?`,
				tokenHash(pendingToken), userID, stagePassword, formatTime(tx.now))
			if err != nil {
				return fmt.Errorf("db: end pending login: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				refusal = ErrSignInNotFinished
				return nil
			}
			how = "password+passkey"
		}
		if u.Disabled {
			refusal = ErrPasskeyCeremony
			return tx.audit(ctx, u.Actor(clientAddr), "login.passkey_refused", u.Email, "account disabled")
		}
		r, err := tx.ExecContext(ctx, `UPDATE passkeys SET credential = ?, last_used_at = ? WHERE credential_id = ? AND user_id = ?`,
			credential, formatTime(tx.now), credentialID, userID)
		if err != nil {
			return fmt.Errorf("db: record passkey use: %w", err)
		}
		if n, _ := r.RowsAffected(); n == 0 {
			refusal = ErrPasskeyCeremony // removed meanwhile
			return nil
		}
		res.User = u
		res.Token, err = tx.completeLogin(ctx, u.ID, u.Email, clientAddr, how)
		return err
	})
	if err != nil {
		return nil, err
	}
	if refusal != nil {
		return nil, refusal
	}
	return res, nil
}

// AuditPasskeyRefusal records a passkey that did not sign in (a signature
// that does not verify, a counter that went back, a removed passkey).
func (db *DB) AuditPasskeyRefusal(ctx context.Context, userID int64, reason, clientAddr string) error {
	return db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		a := Actor{UserID: userID, Name: "unknown", ClientAddr: clientAddr}
		if userID != 0 {
			if err := tx.QueryRowContext(ctx, `SELECT email FROM users WHERE id = ?`, userID).Scan(&a.Name); err != nil && !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("db: find user: %w", err)
			}
		}
		return tx.audit(ctx, a, "login.passkey_refused", a.Name, reason)
	})
}
