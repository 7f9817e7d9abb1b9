package db

import (
	"context"
	"fmt"
	"time"
)

// SendReminders tells reporters whose report has waited on them (needs_info)
// for after, and again every after since the last reminder, up to max
// reminders per waiting period: it records an EventReminder per report, in
// one transaction with the count, and the mail gateway composes the mail
// (mailin.Events). It returns
// how many reports were reminded.
func (db *DB) SendReminders(ctx context.Context, after time.Duration, max int) (int, error) {
	if after <= 0 || max <= 0 {
		return 0, nil
	}
	var out int
	err := db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		due := formatTime(tx.now.Add(-after))
		rows, err := tx.QueryContext(ctx, `SELECT r.id, r.paused_at, CASE WHEN m.paused_at = r.paused_at THEN m.sent ELSE 0 END
			FROM reports r LEFT JOIN reminders m ON m.report_id = r.id
			WHERE r.state = 'needs_info' AND r.paused_at IS NOT NULL AND r.paused_at <= ?
			AND (m.report_id IS NULL OR m.paused_at <> r.paused_at OR (m.sent < ? AND m.last_at <= ?))
			ORDER BY r.id LIMIT 500`, due, max, due)
		if err != nil {
			return fmt.Errorf("db: read due reminders: %w", err)
		}
		type waiting struct {
			id     int64
			paused string
			sent   int
		}
		var list []waiting
		for rows.Next() {
			var d waiting
			if err := rows.Scan(&d.id, &d.paused, &d.sent); err != nil {
				rows.Close()
				return fmt.Errorf("db: scan due reminder: %w", err)
			}
			list = append(list, d)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("db: read due reminders: %w", err)
		}
		for _, d := range list {
			if err := tx.recordEvent(ctx, EventReminder, d.id, 0, ActorSystem, "", "", 0); err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, `INSERT INTO reminders (report_id, paused_at, sent, last_at) VALUES (?, ?, 1, ?)
				ON CONFLICT (report_id) DO UPDATE SET sent = CASE WHEN reminders.paused_at = excluded.paused_at THEN reminders.sent + 1 ELSE 1 END,
				paused_at = excluded.paused_at, last_at = excluded.last_at`, d.id, d.paused, formatTime(tx.now))
			if err != nil {
				return fmt.Errorf("db: count reminder: %w", err)
			}
		}
		out = len(list)
		return nil
	})
	if err != nil {
		return 0, err
	}
	return out, nil
}
