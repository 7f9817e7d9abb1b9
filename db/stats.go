package db

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
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
	if err := breachCounts(ctx, tx, db.Now(), func(k string, n int) { st.DeadlineBreaches[k] += n }); err != nil {
		return nil, fmt.Errorf("db: count deadline breaches: %w", err)
	}
	return st, nil
}

// breachLabels are the Prometheus labels of the deadline kinds.
var breachLabels = map[string]string{"first_response": "first_response", "triage": "triage", "resolution": "resolve"}

// breachCounts counts the open reports past their first-response, triage
// and resolution deadlines at now (the queue's deadlines: time waiting in
// needs_info does not count). It reads the counters of migration 0027 at
// three resolutions: the whole days before now's day, the hours of today
// before now's hour, the minutes of this hour before now's minute. That is
// at most a few hundred rows per program and kind however long the backlog
// is, and exact to the minute (a deadline that passed less than a minute
// ago may not count yet).
func breachCounts(ctx context.Context, tx queryer, now time.Time, f func(string, int)) error {
	t := now.Unix()
	day, hour, minute := t-t%86400, t-t%3600, t-t%60
	for k := range breachLabels {
		f(breachLabels[k], 0)
	}
	for _, r := range []struct{ unit, from, to int64 }{{86400, -1 << 62, day}, {3600, day, hour}, {60, hour, minute}} {
		if err := groupCount(ctx, tx, `SELECT kind, SUM(n) FROM report_breach_counts
			WHERE kind IN ('first_response', 'triage', 'resolution') AND unit = ? AND start >= ? AND start < ? GROUP BY kind`,
			func(k string, n int) {
				if l, ok := breachLabels[k]; ok {
					f(l, n)
				}
			}, r.unit, r.from, r.to); err != nil {
			return err
		}
	}
	return nil
}

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
