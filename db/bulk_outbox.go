package db

import (
	"context"
	"fmt"
)

// FileReportMail files the outbox rows after id after, which a bulk load
// wrote with plain SQL (db/demo), as Tx.fileMail files each mail that
// enqueueMail writes: mail about a report under the report's organisation
// and that one's parent. Every such row is mail about a report (a demo
// writes no invitation, digest or account mail) and none is filed yet.
//
// One statement files them all, and the per-organisation counts
// (row_counts 'outbox.org:N', which the insert trigger of outbox_orgs keeps
// one row at a time) are added by one more, with that trigger off inside
// the transaction: a million demo reports send about 2.5 million mails.
// The new mail leads (CROSS JOIN): with a working portal's statistics
// SQLite began with the programs and read all their reports. The count
// reads the new rows through outbox_orgs_outbox: without
// statistics SQLite read all of outbox_orgs_status instead, to group
// without a sort.
func (tx *Tx) FileReportMail(ctx context.Context, after int64) error {
	var filed int
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM outbox_orgs WHERE outbox_id > ?)`, after).Scan(&filed); err != nil {
		return fmt.Errorf("db: file mail in bulk: %w", err)
	}
	if filed == 1 {
		return fmt.Errorf("db: file mail in bulk: mail after %d is filed already", after)
	}
	const trigger = "row_counts_outbox_orgs_insert"
	var create string
	if err := tx.QueryRowContext(ctx, `SELECT sql FROM sqlite_schema WHERE type = 'trigger' AND name = ?`, trigger).Scan(&create); err != nil {
		return fmt.Errorf("db: file mail in bulk: read trigger %s: %w", trigger, err)
	}
	for _, q := range []struct{ what, sql string }{
		{"drop the counting trigger", `DROP TRIGGER ` + trigger},
		{"file", `INSERT INTO outbox_orgs (org_id, outbox_id, status)
			SELECT g.id, o.id, o.status FROM outbox o CROSS JOIN reports r ON r.id = o.report_id CROSS JOIN programs p ON p.id = r.program_id
			CROSS JOIN organisations g ON g.id IN (p.org_id, (SELECT parent_id FROM organisations WHERE id = p.org_id))
			WHERE o.id > ?1`},
		{"count", `INSERT INTO row_counts (tbl, key, n)
			SELECT 'outbox.org:' || org_id, status, COUNT(*) FROM outbox_orgs INDEXED BY outbox_orgs_outbox WHERE outbox_id > ?1 GROUP BY org_id, status
			ON CONFLICT (tbl, key) DO UPDATE SET n = n + excluded.n`},
		{"create the counting trigger", create},
	} {
		var args []any
		if q.what == "file" || q.what == "count" {
			args = []any{after}
		}
		if _, err := tx.ExecContext(ctx, q.sql, args...); err != nil {
			return fmt.Errorf("db: file mail in bulk: %s: %w", q.what, err)
		}
	}
	return nil
}
