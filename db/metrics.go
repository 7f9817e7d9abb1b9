package db

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
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
		if *x.out, err = median(ctx, tx, `SELECT unixepoch(`+x.col+`) - unixepoch(created_at) FROM reports
			WHERE `+x.col+` >= ? AND `+x.col+` < ?`+scope, append(period, scopeArgs...)); err != nil {
			return nil, err
		}
	}
	return m, tx.Commit()
}

func median(ctx context.Context, tx *sql.Tx, q string, args []any) (Median, error) {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return Median{}, fmt.Errorf("db: read durations: %w", err)
	}
	defer rows.Close()
	var secs []int64
	for rows.Next() {
		var s int64
		if err := rows.Scan(&s); err != nil {
			return Median{}, fmt.Errorf("db: scan duration: %w", err)
		}
		secs = append(secs, s)
	}
	if err := rows.Err(); err != nil {
		return Median{}, fmt.Errorf("db: read durations: %w", err)
	}
	if len(secs) == 0 {
		return Median{}, nil
	}
	sort.Slice(secs, func(i, j int) bool { return secs[i] < secs[j] })
	mid := secs[len(secs)/2]
	if len(secs)%2 == 0 {
		mid = (secs[len(secs)/2-1] + secs[len(secs)/2]) / 2
	}
	return Median{Value: time.Duration(mid) * time.Second, N: len(secs)}, nil
}
