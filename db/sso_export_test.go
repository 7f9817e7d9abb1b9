package db

import (
	"context"
	"fmt"
)

// SSOLoginsForTest counts the sign-ins with a provider under way and the
// bytes of their columns, and checks sso_sites (kept by triggers) against
// them.
func (db *DB) SSOLoginsForTest(ctx context.Context) (rows int, bytes int64, err error) {
	var counted int
	err = db.read.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(length(state_hash) + length(browser_hash) + length(nonce)
		+ length(verifier) + length(next) + length(expires_at) + length(network) + length(site) + length(client)), 0),
		(SELECT COALESCE(SUM(signins), 0) FROM sso_sites) FROM sso_logins`).Scan(&rows, &bytes, &counted)
	if err != nil {
		return 0, 0, fmt.Errorf("db: count sso logins: %w", err)
	}
	if counted != rows {
		return rows, bytes, fmt.Errorf("db: sso_sites counts %d sign-ins, sso_logins holds %d", counted, rows)
	}
	return rows, bytes, nil
}
