package db

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
)

// The secrets the portal keeps in its database and must read back are
// sealed with the local key (localkey.go), each kind under its own purpose:
// a copy of the database or of a backup opens none of them. What only needs
// checking (passwords, session and link tokens, recovery and receipt codes)
// is stored hashed instead and is not listed here.
const (
	secretTOTP    = "totp secret"    // users.totp_secret, base32
	secretWebhook = "webhook secret" // webhooks.secret, hex
	// webhooks.url: the path of a chat webhook URL (Slack, Teams, Discord)
	// is the credential that lets anyone post into the channel.
	secretWebhookURL = "webhook url"
	// mailboxes.imap_password: an intake mailbox's IMAP password.
	secretMailboxPassword = "mailbox password"
)

// sealedColumns are the columns holding sealed secrets, for the upgrade of
// older databases (sealPlaintextSecrets). ForgetSecrets drops each of them.
var sealedColumns = []struct{ table, column, purpose string }{
	{"users", "totp_secret", secretTOTP},
	{"webhooks", "secret", secretWebhook},
	{"webhooks", "url", secretWebhookURL},
	{"mailboxes", "imap_password", secretMailboxPassword},
}

// sealSecret seals a secret for storage; "" (no secret) stays "".
func (db *DB) sealSecret(purpose, plain string) (string, error) {
	if plain == "" {
		return "", nil
	}
	if db.localKey == nil {
		return "", fmt.Errorf("db: no local key to seal a %s with", purpose)
	}
	return db.localKey.Seal(purpose, []byte(plain))
}

// openSecret opens a stored secret; "" stays "". A value that is not sealed
// is refused, never used: after the upgrade at open none is left, so one
// appearing later was written behind the portal's back.
func (db *DB) openSecret(purpose, stored string) (string, error) {
	if stored == "" {
		return "", nil
	}
	if !IsLocallySealed(stored) {
		return "", fmt.Errorf("db: a %s is stored in clear; restart the portal to seal it", purpose)
	}
	if db.localKey == nil {
		return "", fmt.Errorf("db: no local key to open a %s with", purpose)
	}
	plain, err := db.localKey.Open(purpose, stored)
	if err != nil {
		return "", err
	}
	return string(plain), nil
}

// newWebhookSecret is 256 random bits in hex, as shown to the admin and
// used as the HMAC key, sealed for storage.
func (db *DB) newWebhookSecret() (string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("db: webhook secret: %w", err)
	}
	return db.sealSecret(secretWebhook, hex.EncodeToString(raw))
}

// sealPlaintextSecrets seals the secrets a database made before they were
// encrypted still holds in clear: all of them in one transaction, at open,
// so that no plaintext is read afterwards. It does nothing when none is
// left, and records what it sealed in the audit log. The old values were
// overwritten in place (secure_delete); a passive checkpoint then copies
// the new pages into the database file.
func (db *DB) sealPlaintextSecrets(ctx context.Context) error {
	// Most starts find nothing to do: a read tells, without taking the
	// write lock a running portal may hold.
	found := false
	for _, c := range sealedColumns {
		var n int
		if err := db.write.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+c.table+` WHERE `+plaintextCond(c.column), sealedSecretPrefix).Scan(&n); err != nil {
			return fmt.Errorf("db: look for plaintext %s: %w", c.purpose, err)
		}
		found = found || n > 0
	}
	if !found {
		return nil
	}
	total := 0
	err := db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		detail := ""
		total = 0
		for _, c := range sealedColumns {
			n, err := tx.sealColumn(ctx, c.table, c.column, c.purpose)
			if err != nil {
				return err
			}
			total += n
			detail += fmt.Sprintf(" %s.%s=%d", c.table, c.column, n)
		}
		if total == 0 {
			return nil
		}
		return tx.audit(ctx, ActorSystem, "secrets.seal", "", "sealed with the local key:"+detail)
	})
	if err != nil {
		return fmt.Errorf("db: seal secrets: %w", err)
	} else if total == 0 {
		return nil
	}
	// A checkpoint is no write of the portal's data: it runs beside the
	// writer, on the write connection.
	if _, err := db.write.ExecContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`); err != nil {
		return fmt.Errorf("db: checkpoint sealed secrets: %w", err)
	}
	return nil
}

// plaintextCond selects the rows whose column holds a secret not sealed;
// its one "?" takes sealedSecretPrefix.
func plaintextCond(column string) string {
	return fmt.Sprintf(`%s <> '' AND substr(%s, 1, %d) <> ?`, column, column, len(sealedSecretPrefix))
}

// sealColumn seals every plaintext value of one column and returns how many.
func (tx *Tx) sealColumn(ctx context.Context, table, column, purpose string) (int, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, `+column+` FROM `+table+` WHERE `+plaintextCond(column), sealedSecretPrefix)
	if err != nil {
		return 0, fmt.Errorf("db: find plaintext %s: %w", purpose, err)
	}
	type plain struct {
		id    int64
		value string
	}
	var todo []plain
	for rows.Next() {
		var p plain
		if err := rows.Scan(&p.id, &p.value); err != nil {
			rows.Close()
			return 0, fmt.Errorf("db: read plaintext %s: %w", purpose, err)
		}
		todo = append(todo, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("db: read plaintext %s: %w", purpose, err)
	}
	for _, p := range todo {
		sealed, err := tx.db.sealSecret(purpose, p.value)
		if err != nil {
			return 0, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE `+table+` SET `+column+` = ? WHERE id = ?`, sealed, p.id); err != nil {
			return 0, fmt.Errorf("db: seal %s: %w", purpose, err)
		}
	}
	return len(todo), nil
}
