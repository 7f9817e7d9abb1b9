package db

import (
	"context"
	"fmt"
	"strings"
)

// metricTriggers are the per-row triggers of migration 0027 that keep the
// metric and breach counters, and those of 0004 that fill a new report's
// deadline (an UPDATE of the report it just inserted) and count it in its
// state's tab.
var metricTriggers = []string{"reports_metrics_insert", "reports_metrics_delete", "reports_metrics_update_before", "reports_metrics_update_after",
	"reports_deadline_insert", "reports_count_insert",
	"row_counts_outbox_insert", "row_counts_mail_raw_insert", "row_counts_audit_insert"}

// rowCountsBulk is what the insert triggers of row_counts (migration 0022)
// do for each new row of a table, as one statement for the rows after
// the id given. NOT INDEXED keeps each to those rows (a range of rowids):
// without statistics (a new database being filled) SQLite read the whole
// covering index of (status, id) or (action) instead, to group without a
// sort, so each batch of the demo cost more than the one before.
var rowCountsBulk = []struct{ table, count string }{
	{"outbox", `INSERT INTO row_counts (tbl, key, n) SELECT 'outbox', status, COUNT(*) FROM outbox NOT INDEXED WHERE id > ? GROUP BY status
		ON CONFLICT (tbl, key) DO UPDATE SET n = n + excluded.n`},
	{"mail_raw", `INSERT INTO row_counts (tbl, key, n) SELECT 'mail_raw', kind, COUNT(*) FROM mail_raw NOT INDEXED WHERE id > ? GROUP BY kind
		ON CONFLICT (tbl, key) DO UPDATE SET n = n + excluded.n`},
	{"audit", `INSERT INTO row_counts (tbl, key, n) SELECT 'audit', action, COUNT(*) FROM audit NOT INDEXED WHERE id > ? GROUP BY action
		ON CONFLICT (tbl, key) DO UPDATE SET n = n + excluded.n`},
	{"audit", `INSERT INTO row_counts (tbl, key, n) SELECT 'audit.report.submit', detail, COUNT(*) FROM audit NOT INDEXED WHERE id > ? AND action = 'report.submit' GROUP BY detail
		ON CONFLICT (tbl, key) DO UPDATE SET n = n + excluded.n`},
}

// BulkInsertReports runs fn, which must only insert reports, their mail
// (outbox, mail_raw) and audit rows (the demo generator's batches: a row
// it writes is never updated or deleted in fn, and no older one is
// touched), with the counters' per-row insert triggers off, and then counts the new reports into the counters with one
// statement per table: the triggers' work in bulk. Dropping and creating
// the triggers is part of the transaction, so a failed or interrupted batch
// leaves them as they were.
func (tx *Tx) BulkInsertReports(ctx context.Context, fn func() error) error {
	var last int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM reports`).Scan(&last); err != nil {
		return fmt.Errorf("db: read last report id: %w", err)
	}
	lastOf := map[string]int64{}
	for _, c := range rowCountsBulk {
		var n int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM `+c.table).Scan(&n); err != nil {
			return fmt.Errorf("db: read last %s id: %w", c.table, err)
		}
		lastOf[c.table] = n
	}
	names := make([]any, len(metricTriggers))
	for i, n := range metricTriggers {
		names[i] = n
	}
	rows, err := tx.QueryContext(ctx, `SELECT name, sql FROM sqlite_schema WHERE type = 'trigger' AND name IN (?`+strings.Repeat(", ?", len(names)-1)+`) ORDER BY rowid`,
		names...)
	if err != nil {
		return fmt.Errorf("db: read metric triggers: %w", err)
	}
	var dropped, sqls []string
	for rows.Next() {
		var name, sql string
		if err := rows.Scan(&name, &sql); err != nil {
			rows.Close()
			return fmt.Errorf("db: scan metric trigger: %w", err)
		}
		dropped, sqls = append(dropped, name), append(sqls, sql)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("db: read metric triggers: %w", err)
	}
	if len(dropped) != len(metricTriggers) {
		return fmt.Errorf("db: %d of the %d metric triggers exist", len(dropped), len(metricTriggers))
	}
	for _, name := range dropped {
		if _, err := tx.ExecContext(ctx, `DROP TRIGGER `+name); err != nil {
			return fmt.Errorf("db: drop trigger %s: %w", name, err)
		}
	}
	if err := fn(); err != nil {
		return err
	}
	// What reports_deadline_insert does for each new report without a
	// deadline, as one statement.
	if _, err := tx.ExecContext(ctx, `UPDATE reports SET (due_at, due_kind, due_warn_at) =
		(SELECT n.due_at, COALESCE(n.kind, ''), n.warn_at FROM report_next_deadline n WHERE n.id = reports.id)
		WHERE id > ? AND due_at IS NULL`, last); err != nil {
		return fmt.Errorf("db: fill new reports' deadlines: %w", err)
	}
	// What reports_count_insert does for each, reading the new rows by id:
	// with the indexes of reports live (a demo added to a working portal)
	// SQLite read all of reports_program_rank to group without a sort.
	if _, err := tx.ExecContext(ctx, `INSERT INTO report_state_counts (program_id, state, n)
		SELECT program_id, state, COUNT(*) FROM reports NOT INDEXED WHERE id > ? GROUP BY 1, 2
		ON CONFLICT (program_id, state) DO UPDATE SET n = n + excluded.n`, last); err != nil {
		return fmt.Errorf("db: count new reports' states: %w", err)
	}
	for _, c := range rowCountsBulk {
		if _, err := tx.ExecContext(ctx, c.count, lastOf[c.table]); err != nil {
			return fmt.Errorf("db: count new rows of %s: %w", c.table, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO report_metrics (program_id, kind, period, severity, bucket, within, n)
		SELECT program_id, kind, period, severity, bucket, within, COUNT(*) FROM report_metric_keys WHERE id > ? GROUP BY 1, 2, 3, 4, 5, 6
		ON CONFLICT (program_id, kind, period, severity, bucket, within) DO UPDATE SET n = n + excluded.n`, last); err != nil {
		return fmt.Errorf("db: count new reports into the metrics: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO report_breach_counts (program_id, kind, unit, start, n)
		SELECT program_id, kind, unit, start, COUNT(*) FROM report_breach_units WHERE id > ? GROUP BY 1, 2, 3, 4
		ON CONFLICT (kind, unit, start, program_id) DO UPDATE SET n = n + excluded.n`, last); err != nil {
		return fmt.Errorf("db: count new reports' deadlines: %w", err)
	}
	for i, sql := range sqls {
		if _, err := tx.ExecContext(ctx, sql); err != nil {
			return fmt.Errorf("db: create trigger %s: %w", dropped[i], err)
		}
	}
	return nil
}
