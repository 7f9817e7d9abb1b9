package db

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Median is the median of a set of durations and how many there were.
type Median struct {
	Value time.Duration
	N     int
}

// Metrics are the numbers a team reports on: the queue as it stands, and
// how fast it answered, triaged and resolved within a period.
type Metrics struct {
	From, To      time.Time
	Counts        map[State]int64 // now, for the visible programs
	Received      int64           // reports received in the period
	FirstResponse Median
	Triage        Median
	Resolution    Median
}

// Metrics computes the metrics of the period [from, to) for the visible
// programs (nil: all). A median covers the reports whose milestone (first
// response, triage, resolution) fell in the period, measured in wall-clock
// time from the report's arrival.
func (db *DB) Metrics(ctx context.Context, from, to time.Time, visible []int64) (*Metrics, error) {
	m := &Metrics{From: from, To: to, Counts: map[State]int64{}}
	if visible != nil && len(visible) == 0 {
		return m, nil
	}
	tx, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if m.Counts, err = stateCounts(ctx, tx, QueueFilter{Visible: visible}); err != nil {
		return nil, err
	}
	scope, scopeArgs := "", []any{}
	if visible != nil {
		scope = ` AND program_id IN (` + placeholders(len(visible)) + `)`
		for _, id := range visible {
			scopeArgs = append(scopeArgs, id)
		}
	}
	period := []any{formatTime(from), formatTime(to)}
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM reports WHERE created_at >= ? AND created_at < ?`+scope,
		append(period, scopeArgs...)...).Scan(&m.Received); err != nil {
		return nil, fmt.Errorf("db: count received: %w", err)
	}
	for _, x := range []struct {
		col string
		out *Median
	}{{"first_response_at", &m.FirstResponse}, {"triaged_at", &m.Triage}, {"resolved_at", &m.Resolution}} {
		if *x.out, err = median(ctx, tx, `SELECT unixepoch(`+x.col+`) - unixepoch(created_at) AS d FROM reports
			WHERE `+x.col+` >= ? AND `+x.col+` < ?`+scope, append(period, scopeArgs...)); err != nil {
			return nil, err
		}
	}
	return m, tx.Commit()
}

// median is the median of the durations q selects (as d): SQLite counts
// them and sorts them to the middle, reading the milestone's index range
// (migration 0022) rather than handing every duration to Go.
func median(ctx context.Context, tx *sql.Tx, q string, args []any) (Median, error) {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM (`+q+`)`, args...).Scan(&n); err != nil {
		return Median{}, fmt.Errorf("db: count durations: %w", err)
	}
	if n == 0 {
		return Median{}, nil
	}
	// The middle one, or the middle two of an even count.
	rows, err := tx.QueryContext(ctx, `SELECT d FROM (`+q+`) ORDER BY d LIMIT ? OFFSET ?`, append(args, 2-n%2, (n-1)/2)...)
	if err != nil {
		return Median{}, fmt.Errorf("db: read durations: %w", err)
	}
	defer rows.Close()
	var sum, k int64
	for rows.Next() {
		var s int64
		if err := rows.Scan(&s); err != nil {
			return Median{}, fmt.Errorf("db: scan duration: %w", err)
		}
		sum, k = sum+s, k+1
	}
	if err := rows.Err(); err != nil {
		return Median{}, fmt.Errorf("db: read durations: %w", err)
	}
	if k == 0 {
		return Median{}, nil
	}
	return Median{Value: time.Duration(sum/k) * time.Second, N: n}, nil
}
