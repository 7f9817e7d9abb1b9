package db

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// Stats is what the metrics endpoint reads at scrape time. Counting from the
// database rather than in memory keeps the numbers right across restarts and
// across the web and mail sides.
type Stats struct {
	ReportsByState map[State]int
	// IntakeBySource counts submissions from the append-only audit log, so it
	// only grows, even when retention deletes reports.
	IntakeBySource map[Source]int
	OutboxPending  int
	OutboxFailed   int
	// DeadlineBreaches counts open reports past a program's target, by
	// deadline: first_response, triage, resolve.
	DeadlineBreaches map[string]int
}

// Stats reads the current counts in one snapshot.
func (db *DB) Stats(ctx context.Context) (*Stats, error) {
	tx, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	st := &Stats{ReportsByState: map[State]int{}, IntakeBySource: map[Source]int{}, DeadlineBreaches: map[string]int{}}
	for _, s := range States {
		st.ReportsByState[s] = 0
	}
	for _, s := range []Source{SourceWeb, SourceEmail} {
		st.IntakeBySource[s] = 0
	}
	if err := groupCount(ctx, tx, `SELECT state, SUM(n) FROM report_state_counts GROUP BY state`, func(k string, n int) {
		st.ReportsByState[State(k)] = n
	}); err != nil {
		return nil, fmt.Errorf("db: count reports by state: %w", err)
	}
	if err := groupCount(ctx, tx, `SELECT key, n FROM row_counts WHERE tbl = 'audit.report.submit'`, func(k string, n int) {
		if src, ok := strings.CutPrefix(k, "source="); ok {
			st.IntakeBySource[Source(src)] += n
		}
	}); err != nil {
		return nil, fmt.Errorf("db: count intake: %w", err)
	}
	if err := groupCount(ctx, tx, `SELECT key, n FROM row_counts WHERE tbl = 'outbox' AND key IN ('pending', 'failed')`, func(k string, n int) {
		if k == "pending" {
			st.OutboxPending = n
		} else {
			st.OutboxFailed = n
		}
	}); err != nil {
		return nil, fmt.Errorf("db: count outbox: %w", err)
	}
	now := formatTime(db.Now())
	if err := groupCount(ctx, tx, deadlineBreachQuery, func(k string, n int) { st.DeadlineBreaches[k] = n }, now); err != nil {
		return nil, fmt.Errorf("db: count deadline breaches: %w", err)
	}
	return st, nil
}

// deadlineBreachQuery counts open reports past their program's targets.
// Time spent in needs_info (waiting on the reporter) does not count.
// first_response: no staff reply or state change yet after first_response_days;
// triage: still new after triage_days; resolve: triaged but not resolved
// within the days for its severity.
const deadlineBreachQuery = `
WITH open AS (
	SELECT r.*, p.first_response_days, p.triage_days,
		CASE r.severity WHEN 'critical' THEN p.resolve_critical_days WHEN 'high' THEN p.resolve_high_days
			WHEN 'medium' THEN p.resolve_medium_days ELSE p.resolve_low_days END AS resolve_days,
		(julianday(?1) - julianday(r.created_at)) * 86400 - r.paused_seconds
			- COALESCE((julianday(?1) - julianday(r.paused_at)) * 86400, 0) AS age
	FROM reports r JOIN programs p ON p.id = r.program_id
	WHERE r.state IN ('new', 'triaged', 'needs_info')
)
SELECT 'first_response', COUNT(*) FROM open WHERE first_response_at IS NULL AND triaged_at IS NULL AND age > first_response_days * 86400
UNION ALL
SELECT 'triage', COUNT(*) FROM open WHERE triaged_at IS NULL AND age > triage_days * 86400
UNION ALL
SELECT 'resolve', COUNT(*) FROM open WHERE triaged_at IS NOT NULL AND age > resolve_days * 86400`

// queryer is a pool or a transaction.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// groupCount runs a "SELECT key, COUNT(*) ... GROUP BY key" query.
func groupCount(ctx context.Context, tx queryer, q string, f func(string, int), args ...any) error {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			return err
		}
		f(k, n)
	}
	return rows.Err()
}

// AuditActions counts audit rows per action (operators' summaries, tests).
func (db *DB) AuditActions(ctx context.Context) (map[string]int, error) {
	out := map[string]int{}
	if err := groupCount(ctx, db.read, `SELECT key, n FROM row_counts WHERE tbl = 'audit' AND n > 0`, func(k string, n int) { out[k] = n }); err != nil {
		return nil, fmt.Errorf("db: count audit actions: %w", err)
	}
	return out, nil
}
