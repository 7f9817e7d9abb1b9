package db

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// IntakeStatus is what admins see of mail intake.
type IntakeStatus struct {
	LastPollAt  time.Time // zero: never polled
	LastOKAt    time.Time
	LastError   string // "" when the last poll succeeded
	LastErrorAt time.Time
	Polls       int64
	// Counts by what messages became.
	Reports, Replies, AutoReplies, Bounces, Duplicates, SetAside int64
	Failing                                                      int64 // messages failing, not yet set aside
}

// Processed is every message taken from the mailbox.
func (s *IntakeStatus) Processed() int64 {
	return s.Reports + s.Replies + s.AutoReplies + s.Bounces + s.Duplicates + s.SetAside
}

// RecordPoll notes that a poll ended, with its error ("" for success). The
// error text is the gateway's own (server and network errors), never mail
// content.
func (db *DB) RecordPoll(ctx context.Context, pollErr string) error {
	return db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		now := formatTime(tx.now)
		q := `UPDATE mail_intake SET last_poll_at = ?, polls = polls + 1, last_ok_at = ?, last_error = '' WHERE id = 1`
		args := []any{now, now}
		if pollErr != "" {
			q = `UPDATE mail_intake SET last_poll_at = ?, polls = polls + 1, last_error = ?, last_error_at = ? WHERE id = 1`
			args = []any{now, cutRunes(pollErr, 500), now}
		}
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("db: record poll: %w", err)
		}
		return nil
	})
}

// IntakeStatus returns the intake status with counts from what is kept.
func (db *DB) IntakeStatus(ctx context.Context) (*IntakeStatus, error) {
	tx, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	s := &IntakeStatus{}
	var poll, ok, errAt sql.NullString
	if err := tx.QueryRowContext(ctx, `SELECT last_poll_at, last_ok_at, last_error, last_error_at, polls FROM mail_intake WHERE id = 1`).
		Scan(&poll, &ok, &s.LastError, &errAt, &s.Polls); err != nil {
		return nil, fmt.Errorf("db: read intake status: %w", err)
	}
	s.LastPollAt, s.LastOKAt, s.LastErrorAt = parseNullTime(poll), parseNullTime(ok), parseNullTime(errAt)
	rows, err := tx.QueryContext(ctx, `SELECT key, n FROM row_counts WHERE tbl = 'mail_raw'`)
	if err != nil {
		return nil, fmt.Errorf("db: count mail: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var kind MailKind
		var n int64
		if err := rows.Scan(&kind, &n); err != nil {
			return nil, fmt.Errorf("db: scan mail count: %w", err)
		}
		switch kind {
		case MailReport:
			s.Reports = n
		case MailReply:
			s.Replies = n
		case MailAutoReply:
			s.AutoReplies = n
		case MailBounce:
			s.Bounces = n
		case MailDuplicate:
			s.Duplicates = n
		case MailSetAside:
			s.SetAside = n
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("db: count mail: %w", err)
	}
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(SUM(n), 0) FROM row_counts WHERE tbl = 'mail_failures'`).Scan(&s.Failing); err != nil {
		return nil, fmt.Errorf("db: count failing mail: %w", err)
	}
	return s, nil
}

// KeptMail lists, newest first, the messages that did not become a report or
// reply (auto-replies, bounces, duplicates, set aside), for admins.
// The kinds are listed (every kind but report and reply) so that the
// mail_raw_kind index reads only the kept mail, not every message.
func (db *DB) KeptMail(ctx context.Context, limit int) ([]*RawMail, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+rawMailColumns+rawMailFrom+` WHERE m.kind IN ('autoreply', 'bounce', 'duplicate', 'set_aside') ORDER BY m.id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("db: list kept mail: %w", err)
	}
	defer rows.Close()
	var out []*RawMail
	for rows.Next() {
		m, err := scanRawMail(rows)
		if err == nil {
			db.openRawMail(m)
		}
		if err != nil {
			return nil, fmt.Errorf("db: scan kept mail: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}
