package db

import (
	"context"
	"fmt"
)

// PasskeySignInsForTest counts the ceremonies without password kept, per
// site, and the bytes of their columns (token hash, session data,
// networks, expiry).
func (db *DB) PasskeySignInsForTest(ctx context.Context) (rows int, sites map[string]int, bytes int64, err error) {
	r, err := db.read.QueryContext(ctx, `SELECT site, COUNT(*), SUM(length(token_hash) + length(purpose) + length(session)
		+ length(expires_at) + length(network) + length(site)) FROM passkey_challenges WHERE user_id IS NULL GROUP BY site`)
	if err != nil {
		return 0, nil, 0, fmt.Errorf("db: count passkey sign-ins: %w", err)
	}
	defer r.Close()
	sites = map[string]int{}
	for r.Next() {
		var site string
		var n int
		var b int64
		if err := r.Scan(&site, &n, &b); err != nil {
			return 0, nil, 0, fmt.Errorf("db: count passkey sign-ins: %w", err)
		}
		sites[site], rows, bytes = n, rows+n, bytes+b
	}
	return rows, sites, bytes, r.Err()
}
