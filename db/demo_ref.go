package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// LongTimelineRef returns the reference of a report with at least n
// timeline entries (the demo makes some); benchmarks and load runs open it.
func (db *DB) LongTimelineRef(ctx context.Context, n int) (string, error) {
	var ref string
	err := db.read.QueryRowContext(ctx, `SELECT p.prefix || '-' || r.number FROM reports r JOIN programs p ON p.id = r.program_id
		WHERE r.state = 'triaged' AND (SELECT COUNT(*) FROM messages m WHERE m.report_id = r.id) >= ? LIMIT 1`, n).Scan(&ref)
	if errors.Is(err, sql.ErrNoRows) {
		return "", Errorf(ENOTFOUND, "No report has %s; run disclose demo first.", count(n, "timeline entry", "timeline entries"))
	} else if err != nil {
		return "", fmt.Errorf("db: find long timeline: %w", err)
	}
	return ref, nil
}
