package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// DeadlineKind names one of a report's clocks.
type DeadlineKind string

// The clocks a program sets targets for.
const (
	DeadlineFirstResponse DeadlineKind = "first_response"
	DeadlineTriage        DeadlineKind = "triage"
	DeadlineResolution    DeadlineKind = "resolution"
	DeadlineDisclosure    DeadlineKind = "disclosure"
)

// DeadlineStatus says how close a deadline is.
type DeadlineStatus string

// Deadline statuses; "due soon" starts 2 days or 20% of the target before
// the deadline, whichever is earlier.
const (
	DeadlineOK      DeadlineStatus = "ok"
	DeadlineDueSoon DeadlineStatus = "due_soon"
	DeadlineOverdue DeadlineStatus = "overdue"
)

// Deadline is one running clock of a report, as of a given time.
type Deadline struct {
	Kind       DeadlineKind
	Due        time.Time // when it falls due, pauses included
	TargetDays int
	Status     DeadlineStatus
	Paused     bool // the report waits on the reporter: this clock stands still
}

// dueSoonWindow is how long before a deadline it counts as due soon: two
// days, or a fifth of the target for long targets. The SQL view
// report_next_deadline uses the same rule for the queue's filter.
func dueSoonWindow(targetDays int) time.Duration {
	w := time.Duration(targetDays) * 24 * time.Hour / 5
	return max(w, 48*time.Hour)
}

// deadlineAt turns a stored deadline (unix seconds with the clock running)
// into its due time and status at now. While the report is paused, the due
// time moves with now, so the remaining time stays what it was at the pause.
func deadlineAt(kind DeadlineKind, stored int64, targetDays int, pausedAt, now time.Time) Deadline {
	due := time.Unix(stored, 0).UTC()
	ref := now
	d := Deadline{Kind: kind, TargetDays: targetDays}
	if !pausedAt.IsZero() {
		d.Paused = true
		ref = pausedAt
		if now.After(pausedAt) {
			due = due.Add(now.Sub(pausedAt))
		}
	}
	d.Due = due
	switch remaining := time.Unix(stored, 0).Sub(ref); {
	case remaining <= 0:
		d.Status = DeadlineOverdue
	case remaining <= dueSoonWindow(targetDays):
		d.Status = DeadlineDueSoon
	default:
		d.Status = DeadlineOK
	}
	return d
}

// Deadlines returns the running clocks of a report at the database's now,
// earliest first.
func (db *DB) Deadlines(ctx context.Context, reportID int64) ([]Deadline, error) {
	var fr, tr, rs, ds sql.NullInt64
	var frDays, trDays, rsDays, dsDays int
	var paused sql.NullString
	var explicitDisclosure bool
	err := db.read.QueryRowContext(ctx, `SELECT d.first_response, d.triage, d.resolution, d.disclosure,
		d.first_response_days, d.triage_days, d.resolution_days, d.disclosure_days, r.paused_at, r.disclosure_at IS NOT NULL
		FROM report_deadlines d JOIN reports r ON r.id = d.id WHERE d.id = ?`, reportID).Scan(
		&fr, &tr, &rs, &ds, &frDays, &trDays, &rsDays, &dsDays, &paused, &explicitDisclosure)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, Errorf(ENOTFOUND, "Report not found.")
	} else if err != nil {
		return nil, fmt.Errorf("db: read deadlines: %w", err)
	}
	now := db.Now().UTC()
	pausedAt := parseNullTime(paused)
	var out []Deadline
	add := func(kind DeadlineKind, v sql.NullInt64, days int, pauses bool) {
		if !v.Valid {
			return
		}
		p := pausedAt
		if !pauses {
			p = time.Time{}
		}
		out = append(out, deadlineAt(kind, v.Int64, days, p, now))
	}
	add(DeadlineFirstResponse, fr, frDays, true)
	add(DeadlineTriage, tr, trDays, true)
	add(DeadlineResolution, rs, rsDays, true)
	// An agreed disclosure date is a date in the calendar: a pause does not
	// move it. The default target is a clock like the others.
	add(DeadlineDisclosure, ds, dsDays, !explicitDisclosure)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].Due.Before(out[j-1].Due); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out, nil
}

// nextDeadline is the queue's view of a report's earliest deadline, from the
// columns the triggers keep.
func nextDeadline(kind string, due, warn sql.NullInt64, paused sql.NullString, now time.Time) *Deadline {
	if !due.Valid || kind == "" {
		return nil
	}
	pausedAt := parseNullTime(paused)
	target := 0
	if warn.Valid {
		// The window is stored as due - warn; recover the target it came from.
		target = int((due.Int64 - warn.Int64) * 5 / 86400)
	}
	d := deadlineAt(DeadlineKind(kind), due.Int64, target, pausedAt, now)
	if warn.Valid {
		ref := now
		if !pausedAt.IsZero() {
			ref = pausedAt
		}
		switch {
		case ref.Unix() >= due.Int64:
			d.Status = DeadlineOverdue
		case ref.Unix() >= warn.Int64:
			d.Status = DeadlineDueSoon
		default:
			d.Status = DeadlineOK
		}
	}
	return &d
}
