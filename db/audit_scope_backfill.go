package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
)

// auditBackfillBatch is how many old audit rows one transaction files: it
// bounds the memory of the backfill and how long it holds the writer.
var auditBackfillBatch = 500

// backfillAuditOrgs files the audit rows written before migration 0033
// under their organisations by auditScope's rules, the ones new rows are
// filed by (regular expressions over target and detail, which SQL cannot
// state exactly). Migration 0036 recorded the range (audit_backfill); each
// batch is a transaction that files its rows and moves next_id on, so an
// interrupted start resumes where it stopped and no row is filed twice.
// It runs at start, before the portal serves, and logs its progress.
func (db *DB) backfillAuditOrgs(ctx context.Context) error {
	filed, logged := 0, 0
	for {
		var done bool
		var end int64
		err := db.Update(ctx, func(ctx context.Context, tx *Tx) error {
			var next int64
			err := tx.QueryRowContext(ctx, `SELECT next_id, end_id FROM audit_backfill`).Scan(&next, &end)
			if errors.Is(err, sql.ErrNoRows) {
				done = true
				return nil
			} else if err != nil {
				return fmt.Errorf("db: read the audit backfill: %w", err)
			}
			entries, err := tx.auditRange(ctx, next, end, auditBackfillBatch)
			if err != nil {
				return err
			}
			for _, e := range entries {
				if err := tx.auditScope(ctx, e); err != nil {
					return err
				}
			}
			filed += len(entries)
			if next += int64(auditBackfillBatch); next > end {
				done = true
				_, err = tx.ExecContext(ctx, `DELETE FROM audit_backfill`)
			} else {
				_, err = tx.ExecContext(ctx, `UPDATE audit_backfill SET next_id = ?`, next)
			}
			if err != nil {
				return fmt.Errorf("db: note the audit backfill: %w", err)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if filed-logged >= 50*auditBackfillBatch || (done && filed > 0) {
			slog.Info("audit rows from before organisations filed under them", "rows", filed, "last_id", end, "done", done)
			logged = filed
		}
		if done {
			return nil
		}
	}
}

// auditRange reads the audit rows with ids from..to, at most n of them,
// in id order: one lookup by rowid per id, a plan no statistics turn into
// a scan of the log (a range over the rowid became one, TestQueryPlans).
func (tx *Tx) auditRange(ctx context.Context, from, to int64, n int) ([]*AuditEntry, error) {
	var out []*AuditEntry
	for id := from; id <= to && id < from+int64(n); id++ {
		e := &AuditEntry{}
		err := tx.QueryRowContext(ctx, `SELECT id, action, target, detail FROM audit WHERE id = ?`, id).Scan(&e.ID, &e.Action, &e.Target, &e.Detail)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		} else if err != nil {
			return nil, fmt.Errorf("db: read old audit row %d: %w", id, err)
		}
		out = append(out, e)
	}
	return out, nil
}
