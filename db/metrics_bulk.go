package db

import (
	"context"
	"fmt"
)

// metricTriggers are the per-row triggers of migration 0027 that keep the
// metric and breach counters.
var metricTriggers = []string{"reports_metrics_insert", "reports_metrics_delete", "reports_metrics_update_before", "reports_metrics_update_after"}

// BulkInsertReports runs fn, which must only insert reports (the demo
// generator's batches: a report it writes is never updated or deleted in
// fn, and no older one is touched), with the counters' per-row triggers
// off, and then counts the new reports into the counters with one
// statement per table: the triggers' work in bulk. Dropping and creating
// the triggers is part of the transaction, so a failed or interrupted batch
// leaves them as they were.
func (tx *Tx) BulkInsertReports(ctx context.Context, fn func() error) error {
	var last int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM reports`).Scan(&last); err != nil {
		return fmt.Errorf("db: read last report id: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT name, sql FROM sqlite_schema WHERE type = 'trigger' AND name IN (?, ?, ?, ?)`,
		metricTriggers[0], metricTriggers[1], metricTriggers[2], metricTriggers[3])
	if err != nil {
		return fmt.Errorf("db: read metric triggers: %w", err)
	}
	var names, sqls []string
	for rows.Next() {
		var name, sql string
		if err := rows.Scan(&name, &sql); err != nil {
			rows.Close()
			return fmt.Errorf("db: scan metric trigger: %w", err)
		}
		names, sqls = append(names, name), append(sqls, sql)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("db: read metric triggers: %w", err)
	}
	if len(names) != len(metricTriggers) {
		return fmt.Errorf("db: %d of the %d metric triggers exist", len(names), len(metricTriggers))
	}
	for _, name := range names {
		if _, err := tx.ExecContext(ctx, `DROP TRIGGER `+name); err != nil {
			return fmt.Errorf("db: drop trigger %s: %w", name, err)
		}
	}
	if err := fn(); err != nil {
		return err
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
			return fmt.Errorf("db: create trigger %s: %w", names[i], err)
		}
	}
	return nil
}
