package db

import "context"

// BackfillAuditOrgsForTest files the audit rows from..to as the upgrade
// does (backfillAuditOrgs), for TestQueryPlans.
func (db *DB) BackfillAuditOrgsForTest(ctx context.Context, from, to int64) error {
	if err := db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO audit_backfill (next_id, end_id) VALUES (?, ?)`, from, to)
		return err
	}); err != nil {
		return err
	}
	return db.backfillAuditOrgs(ctx)
}

// SetAuditBackfillBatchForTest makes the upgrade's batches n rows long
// until the returned function is called.
func SetAuditBackfillBatchForTest(n int) (restore func()) {
	old := auditBackfillBatch
	auditBackfillBatch = n
	return func() { auditBackfillBatch = old }
}
