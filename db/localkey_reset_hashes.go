package db

import (
	"context"
	"fmt"
)

// ResetAPIToken names a personal API token that ForgetSecrets revoked: its
// owner issues a new one and gives it to the script that used it.
type ResetAPIToken struct {
	ID    int64
	Owner string // the account's e-mail address
	Name  string
}

// forgetAPITokens revokes, within ForgetSecrets's transaction, every
// personal API token. A token is kept as a keyed hash under the local key
// (api_token.go): under the new key none would match again, so each would
// be refused as "unknown, expired or revoked" without anyone having been
// told. Revoking them says it, per owner, in the output and the audit.
func (tx *Tx) forgetAPITokens(ctx context.Context, actor Actor, out *ForgottenSecrets) error {
	rows, err := tx.QueryContext(ctx, `SELECT t.id, u.email, t.name FROM api_tokens t JOIN users u ON u.id = t.user_id ORDER BY u.email, t.id`)
	if err != nil {
		return fmt.Errorf("db: list api tokens: %w", err)
	}
	for rows.Next() {
		var t ResetAPIToken
		if err := rows.Scan(&t.ID, &t.Owner, &t.Name); err != nil {
			rows.Close()
			return fmt.Errorf("db: list api tokens: %w", err)
		}
		out.APITokens = append(out.APITokens, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("db: list api tokens: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM api_tokens`); err != nil {
		return fmt.Errorf("db: revoke api tokens: %w", err)
	}
	for _, t := range out.APITokens {
		if err := tx.audit(ctx, actor, "api.token.revoke", t.Owner, fmt.Sprintf("token=%d name=%q local key lost: issue a new token", t.ID, t.Name)); err != nil {
			return err
		}
	}
	return nil
}

// forgetKeyedHashes deals, within ForgetSecrets's transaction, with the
// other keyed hashes under the lost key. Reporters' address hashes are
// emptied: until HashAddresses makes them again under the new key (plain
// addresses at once, sealed ones after the next unlock), addresses are
// compared in clear as for rows older than the hash. Purged mails'
// tombstones cannot be made again (the mail is gone): they are counted so
// that the operator is told they no longer match.
func (tx *Tx) forgetKeyedHashes(ctx context.Context, out *ForgottenSecrets) error {
	res, err := tx.ExecContext(ctx, `UPDATE reporters SET email_hash = NULL WHERE email_hash IS NOT NULL`)
	if err != nil {
		return fmt.Errorf("db: drop address hashes: %w", err)
	}
	out.AddressHashes, _ = res.RowsAffected()
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM mail_disposed`).Scan(&out.Tombstones); err != nil {
		return fmt.Errorf("db: count purge tombstones: %w", err)
	}
	return nil
}
