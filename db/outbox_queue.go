package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// sendQueue names a table that works as an outbox: rows with status, attempts,
// next_attempt_at, lease_until, last_error, queued_at, created_at, sent_at.
// Mail (outbox) and webhook deliveries share the claim/retry logic.
type sendQueue string

const (
	mailQueue sendQueue = "outbox"
	hookQueue sendQueue = "webhook_deliveries"
)

// Outbox statuses, shared by mail and webhook deliveries. A pending row with a lease in the future is being sent.
const (
	OutboxPending = "pending"
	OutboxSent    = "sent"
	OutboxFailed  = "failed"
)

// claim leases the next due row for lease and counts the attempt before it
// is made: a worker that dies mid-send leaves the lease to expire, and the
// row is tried again. It returns ENOTFOUND when nothing is due.
func (tx *Tx) claim(ctx context.Context, q sendQueue, lease time.Duration, only string) (int64, error) {
	now := formatTime(tx.now)
	var id int64
	if only != "" {
		only = " AND " + only // a fixed condition of the caller's, never user input
	}
	err := tx.QueryRowContext(ctx, `UPDATE `+string(q)+` SET lease_until = ?, attempts = attempts + 1
		WHERE id = (SELECT id FROM `+string(q)+` WHERE status = 'pending' AND next_attempt_at <= ?
			AND (lease_until IS NULL OR lease_until <= ?)`+only+` ORDER BY next_attempt_at, id LIMIT 1)
		RETURNING id`, formatTime(tx.now.Add(lease)), now, now).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, Errorf(ENOTFOUND, "Nothing is due.")
	} else if err != nil {
		return 0, fmt.Errorf("db: claim %s: %w", q, err)
	}
	return id, nil
}

func (tx *Tx) markSent(ctx context.Context, q sendQueue, id int64) error {
	_, err := tx.ExecContext(ctx, `UPDATE `+string(q)+` SET status = 'sent', sent_at = ?, lease_until = NULL, last_error = ''
		WHERE id = ? AND status = 'pending'`, formatTime(tx.now), id)
	if err != nil {
		return fmt.Errorf("db: mark %s %d sent: %w", q, id, err)
	}
	return nil
}

// markRetry schedules the next attempt after delay, or marks the row failed
// when it has been queued for giveUp or longer. It reports whether it failed.
func (tx *Tx) markRetry(ctx context.Context, q sendQueue, id int64, errText string, delay, giveUp time.Duration) (bool, error) {
	var start string
	err := tx.QueryRowContext(ctx, `SELECT COALESCE(queued_at, created_at) FROM `+string(q)+` WHERE id = ? AND status = 'pending'`, id).Scan(&start)
	if errors.Is(err, sql.ErrNoRows) {
		return false, Errorf(ENOTFOUND, "Nothing to retry.")
	} else if err != nil {
		return false, fmt.Errorf("db: read %s %d: %w", q, id, err)
	}
	next := tx.now.Add(delay)
	if giveUp > 0 {
		deadline := parseTime(start).Add(giveUp)
		if !tx.now.Before(deadline) {
			return true, tx.markFailed(ctx, q, id, errText+" (gave up after "+giveUp.String()+")")
		}
		if next.After(deadline) {
			next = deadline // one last attempt when the time is up
		}
	}
	_, err = tx.ExecContext(ctx, `UPDATE `+string(q)+` SET next_attempt_at = ?, lease_until = NULL, last_error = ? WHERE id = ? AND status = 'pending'`,
		formatTime(next), cleanError(errText), id)
	if err != nil {
		return false, fmt.Errorf("db: reschedule %s %d: %w", q, id, err)
	}
	return false, nil
}

func (tx *Tx) markFailed(ctx context.Context, q sendQueue, id int64, errText string) error {
	_, err := tx.ExecContext(ctx, `UPDATE `+string(q)+` SET status = 'failed', lease_until = NULL, last_error = ? WHERE id = ? AND status = 'pending'`,
		cleanError(errText), id)
	if err != nil {
		return fmt.Errorf("db: mark %s %d failed: %w", q, id, err)
	}
	return nil
}

// retry puts a failed row back in the queue now with a fresh give-up clock.
func (tx *Tx) retry(ctx context.Context, q sendQueue, id int64) error {
	now := formatTime(tx.now)
	res, err := tx.ExecContext(ctx, `UPDATE `+string(q)+` SET status = 'pending', next_attempt_at = ?, queued_at = ?, lease_until = NULL
		WHERE id = ? AND status = 'failed'`, now, now, id)
	if err != nil {
		return fmt.Errorf("db: retry %s %d: %w", q, id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		var status string
		err := tx.QueryRowContext(ctx, `SELECT status FROM `+string(q)+` WHERE id = ?`, id).Scan(&status)
		if errors.Is(err, sql.ErrNoRows) {
			return Errorf(ENOTFOUND, "Not found.")
		} else if err != nil {
			return fmt.Errorf("db: retry %s %d: %w", q, id, err)
		}
		return Errorf(ECONFLICT, "Only a failed delivery can be retried; this one is %s.", status)
	}
	return nil
}

// cleanError keeps a server's error text printable and short: it is shown to
// admins and on the timeline.
func cleanError(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	s = cutRunes(s, 500)
	return s
}
