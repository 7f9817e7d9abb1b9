package db

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// ForgottenSecrets is what ForgetSecrets dropped, for the operator to act on.
type ForgottenSecrets struct {
	KeyFile string // the new local key file
	// TOTPUsers are the accounts whose second factor was turned off: they
	// set it up again (at their next sign-in when the portal requires it).
	TOTPUsers []string
	// Webhooks have new secrets, shown to admins on their program's webhook
	// page, and are switched off: an admin enters the URL again, switches
	// each on and gives its receiver the new secret.
	Webhooks []ResetWebhook
	// SSOProviders lost their client secret and Mailboxes their IMAP
	// password: an admin enters each again.
	SSOProviders []ResetSSO
	Mailboxes    []ResetMailbox
	// APITokens were revoked (their keyed hashes would match nothing under
	// the new key): each owner issues a new token.
	APITokens []ResetAPIToken
	// AddressHashes reporters' address hashes were emptied, to be made
	// again under the new key; Tombstones purged mails' tombstones no
	// longer match (the same mail fetched again is taken in again).
	AddressHashes, Tombstones int64
}

// ResetWebhook names a webhook whose secret was replaced.
type ResetWebhook struct {
	ID        int64
	ProgramID int64
	Program   string
}

// ForgetSecrets is the way back for a portal whose local key file is lost
// for good: without it the sealed secrets cannot be opened and the database
// refuses to start (openLocalKey). It makes a new key file and drops what the
// old key sealed: every account's second factor is turned off (with its
// recovery codes), every webhook gets a new secret and is switched off until
// an admin enters its URL again (sealed too), and the database is tied to
// the new key. All of it is one transaction with an audit row per change.
//
// It refuses to run while a key file is in place: when that file opens the
// database there is nothing to forget, and when it does not, it may be the
// right key of another copy, which is not overwritten (move it aside first).
func ForgetSecrets(ctx context.Context, path string, actor Actor) (*ForgottenSecrets, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, Errorf(EINVALID, "No database at %s.", path)
	}
	db := &DB{Path: path, Now: func() time.Time { return time.Now().UTC() }, Auth: DefaultAuthPolicy}
	db.plainWrites.Store(true) // secrets and audit rows only: no report data to seal
	var err error
	if db.write, err = sql.Open(writerDriver, dsn(path, false)); err != nil {
		return nil, fmt.Errorf("db: open %s: %w", path, err)
	}
	db.write.SetMaxOpenConns(1)
	defer db.write.Close()
	if err := db.migrate(ctx); err != nil {
		return nil, err
	}
	db.startWriter()
	defer func() {
		close(db.stopped)
		<-db.writerDone
	}()
	keyPath := filepath.Join(filepath.Dir(path), LocalKeyFile)
	var stored string
	err = db.write.QueryRowContext(ctx, `SELECT CAST(value AS TEXT) FROM settings WHERE key = ?`, localKeyCheckSetting).Scan(&stored)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, Errorf(ECONFLICT, "This database has no local key yet, so nothing is sealed: start the portal as usual.")
	} else if err != nil {
		return nil, fmt.Errorf("db: read local key check: %w", err)
	}
	switch old, err := LoadLocalKey(keyPath, false); {
	case err == nil && subtle.ConstantTimeCompare([]byte(stored), []byte(old.checkValue())) == 1:
		return nil, Errorf(ECONFLICT, "The local key file %s opens this database: there is nothing to forget.", keyPath)
	case err == nil || !errors.Is(err, fs.ErrNotExist):
		return nil, Errorf(ECONFLICT, "%s is there but does not open this database: move it aside (keep it: it may be the key of another copy) and run this again.", keyPath)
	}
	if db.localKey, err = newLocalKey(); err != nil {
		return nil, err
	}
	out, err := db.forgetSealed(ctx, actor)
	if err != nil {
		return nil, err
	}
	// The key file is written once the database holds its check: should
	// this fail, the file is still missing and the command can run again.
	if err := db.localKey.writeNew(keyPath); err != nil {
		return nil, fmt.Errorf("%w (the database was reset; run this again to make another key)", err)
	}
	out.KeyFile = keyPath
	return out, nil
}

// forgetSealed drops every secret sealed with the lost key and ties the
// database to the new one (db.localKey), in one transaction.
func (db *DB) forgetSealed(ctx context.Context, actor Actor) (*ForgottenSecrets, error) {
	var out *ForgottenSecrets
	err := db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		out = &ForgottenSecrets{}
		rows, err := tx.QueryContext(ctx, `SELECT email FROM users WHERE totp_secret <> '' OR totp_enabled = 1 ORDER BY id`)
		if err != nil {
			return fmt.Errorf("db: list second factors: %w", err)
		}
		for rows.Next() {
			var email string
			if err := rows.Scan(&email); err != nil {
				rows.Close()
				return fmt.Errorf("db: list second factors: %w", err)
			}
			out.TOTPUsers = append(out.TOTPUsers, email)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("db: list second factors: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET totp_secret = '', totp_enabled = 0, totp_last_step = 0 WHERE totp_secret <> '' OR totp_enabled = 1`); err != nil {
			return fmt.Errorf("db: turn second factors off: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes`); err != nil {
			return fmt.Errorf("db: delete recovery codes: %w", err)
		}
		for _, email := range out.TOTPUsers {
			if err := tx.audit(ctx, actor, "user.2fa_reset", email, "local key lost"); err != nil {
				return err
			}
		}
		rows, err = tx.QueryContext(ctx, `SELECT w.id, w.program_id, p.name FROM webhooks w JOIN programs p ON p.id = w.program_id ORDER BY w.id`)
		if err != nil {
			return fmt.Errorf("db: list webhooks: %w", err)
		}
		for rows.Next() {
			var w ResetWebhook
			if err := rows.Scan(&w.ID, &w.ProgramID, &w.Program); err != nil {
				rows.Close()
				return fmt.Errorf("db: list webhooks: %w", err)
			}
			out.Webhooks = append(out.Webhooks, w)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("db: list webhooks: %w", err)
		}
		for _, w := range out.Webhooks {
			secret, err := db.newWebhookSecret()
			if err != nil {
				return err
			}
			// The URL was sealed too: the webhook waits, switched off, for an
			// admin to enter it again; what it had queued fails with the reason.
			if _, err := tx.ExecContext(ctx, `UPDATE webhooks SET secret = ?, url = '', enabled = 0, updated_at = ? WHERE id = ?`, secret, formatTime(tx.now), w.ID); err != nil {
				return fmt.Errorf("db: new webhook secret: %w", err)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET status = 'failed', lease_until = NULL, last_error = ?
				WHERE webhook_id = ? AND status = 'pending'`, "the local key was lost, and with it the webhook's URL: enter it again", w.ID); err != nil {
				return fmt.Errorf("db: fail webhook deliveries: %w", err)
			}
			if err := tx.audit(ctx, actor, "webhook.secret_reset", fmt.Sprintf("webhook:%d", w.ID), "local key lost: new secret, URL to be entered again, switched off"); err != nil {
				return err
			}
		}
		if err := tx.forgetSealedLogins(ctx, actor, out); err != nil {
			return err
		}
		if err := tx.forgetAPITokens(ctx, actor, out); err != nil { // localkey_reset_hashes.go
			return err
		}
		if err := tx.forgetKeyedHashes(ctx, out); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
			localKeyCheckSetting, db.localKey.checkValue()); err != nil {
			return fmt.Errorf("db: store local key check: %w", err)
		}
		if err := tx.audit(ctx, actor, "secrets.reset", "", fmt.Sprintf("local key lost: a new key; two-factor off for %s, %s replaced, %s and %s dropped, %s revoked",
			count(len(out.TOTPUsers), "account", "accounts"), count(len(out.Webhooks), "webhook secret", "webhook secrets"),
			count(len(out.SSOProviders), "sso client secret", "sso client secrets"), count(len(out.Mailboxes), "mailbox password", "mailbox passwords"),
			count(len(out.APITokens), "api token", "api tokens"))); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
