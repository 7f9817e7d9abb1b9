package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// MailStopped is the failure recorded for a mail whose reading never ended:
// the portal stopped (out of memory, a crash, a kill) while it was parsed.
const MailStopped = "the portal stopped while reading this mail"

// MarkMailReading records, committed, that intake is about to parse the
// messages from..to of mailbox: a fetched batch, or one message (from ==
// to), or none (0, 0). A process that dies while parsing leaves the mark,
// and SyncMailbox finds it: the stop of one marked message counts as a
// failed attempt of it, so that one mail that kills the portal is set aside
// after the attempt limit instead of being fetched and read again at every
// start; the stop of a marked batch makes it a careful range
// (MailboxState.Careful), read one marked message at a time.
func (db *DB) MarkMailReading(ctx context.Context, mailbox string, uidValidity, from, to uint32) error {
	return db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE mail_mailboxes SET reading_from = ?, reading_to = ? WHERE name = ? AND uid_validity = ?`,
			from, to, mailbox, uidValidity); err != nil {
			return fmt.Errorf("db: mark mail reading: %w", err)
		}
		return nil
	})
}

// takeStoppedReading turns the mark of a parse that never ended into a
// failed attempt of that message (mail_failures.stopped), or, for a batch,
// into the careful range; it clears the mark, and the careful range once
// the mailbox has passed it. It returns the careful range.
func (tx *Tx) takeStoppedReading(ctx context.Context, mailbox string, uidValidity uint32) (careful [2]uint32, err error) {
	var from, to, lastUID uint32
	err = tx.QueryRowContext(ctx, `SELECT reading_from, reading_to, careful_from, careful_to, last_uid FROM mail_mailboxes WHERE name = ? AND uid_validity = ?`,
		mailbox, uidValidity).Scan(&from, &to, &careful[0], &careful[1], &lastUID)
	if errors.Is(err, sql.ErrNoRows) {
		return careful, nil
	} else if err != nil {
		return careful, fmt.Errorf("db: read mail reading mark: %w", err)
	}
	switch {
	case from == 0:
	case from == to:
		reason := MailStopped
		if tx.db.sealOn { // as every failure is kept in a sealed database
			if reason, err = tx.db.sealText(reason); err != nil {
				return careful, err
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO mail_failures (mailbox, uid_validity, uid, attempts, last_error, stopped, updated_at) VALUES (?, ?, ?, 1, ?, 1, ?)
			ON CONFLICT (mailbox, uid_validity, uid) DO UPDATE SET attempts = attempts + 1, last_error = excluded.last_error, stopped = 1, updated_at = excluded.updated_at`,
			mailbox, uidValidity, from, reason, formatTime(tx.now)); err != nil {
			return careful, fmt.Errorf("db: record stopped reading: %w", err)
		}
		if err := tx.audit(ctx, ActorSystem, "mail.stopped_reading", fmt.Sprintf("%s/%d/%d", mailbox, uidValidity, from), ""); err != nil {
			return careful, err
		}
	default:
		careful = [2]uint32{from, to}
		if err := tx.audit(ctx, ActorSystem, "mail.stopped_reading", fmt.Sprintf("%s/%d/%d-%d", mailbox, uidValidity, from, to), "batch"); err != nil {
			return careful, err
		}
	}
	if careful[1] != 0 && lastUID >= careful[1] {
		careful = [2]uint32{}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE mail_mailboxes SET reading_from = 0, reading_to = 0, careful_from = ?, careful_to = ? WHERE name = ?`,
		careful[0], careful[1], mailbox); err != nil {
		return careful, fmt.Errorf("db: clear mail reading mark: %w", err)
	}
	return careful, nil
}

// BeginPendingRead counts, committed, one more pass at decrypting the kept
// raw mail id (the pass over mail that came while the team key was
// locked) and returns the count with this one. A pass that stops the
// portal is counted all the same.
func (db *DB) BeginPendingRead(ctx context.Context, rawID int64) (int, error) {
	var out int
	err := db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		var err error
		var n int
		err = tx.QueryRowContext(ctx, `UPDATE mail_raw SET read_attempts = read_attempts + 1 WHERE id = ? RETURNING read_attempts`, rawID).Scan(&n)
		if errors.Is(err, sql.ErrNoRows) {
			return Errorf(ENOTFOUND, "Message not found.")
		} else if err != nil {
			return fmt.Errorf("db: count pending read: %w", err)
		}
		out = n
		return nil
	})
	if err != nil {
		return 0, err
	}
	return out, nil
}
