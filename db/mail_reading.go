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

// MarkMailReading records, committed, that intake is about to parse uid of
// mailbox (0: it parses nothing now). A process that dies while parsing
// leaves the mark; SyncMailbox then counts a failed attempt for that mail,
// so that one mail that kills the portal is set aside after the attempt
// limit instead of being fetched and read again at every start.
func (db *DB) MarkMailReading(ctx context.Context, mailbox string, uidValidity, uid uint32) error {
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `UPDATE mail_mailboxes SET reading_uid = ? WHERE name = ? AND uid_validity = ?`, uid, mailbox, uidValidity); err != nil {
		return fmt.Errorf("db: mark mail reading: %w", err)
	}
	return tx.Commit()
}

// takeStoppedReading turns the mark of a parse that never ended into a
// failed attempt of that mail (mail_failures.stopped), and clears it.
func (tx *Tx) takeStoppedReading(ctx context.Context, mailbox string, uidValidity uint32) error {
	var uid uint32
	err := tx.QueryRowContext(ctx, `SELECT reading_uid FROM mail_mailboxes WHERE name = ? AND uid_validity = ?`, mailbox, uidValidity).Scan(&uid)
	if errors.Is(err, sql.ErrNoRows) || err == nil && uid == 0 {
		return nil
	} else if err != nil {
		return fmt.Errorf("db: read mail reading mark: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO mail_failures (mailbox, uid_validity, uid, attempts, last_error, stopped, updated_at) VALUES (?, ?, ?, 1, ?, 1, ?)
		ON CONFLICT (mailbox, uid_validity, uid) DO UPDATE SET attempts = attempts + 1, last_error = excluded.last_error, stopped = 1, updated_at = excluded.updated_at`,
		mailbox, uidValidity, uid, MailStopped, formatTime(tx.now)); err != nil {
		return fmt.Errorf("db: record stopped reading: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE mail_mailboxes SET reading_uid = 0 WHERE name = ?`, mailbox); err != nil {
		return fmt.Errorf("db: clear mail reading mark: %w", err)
	}
	return tx.audit(ctx, ActorSystem, "mail.stopped_reading", fmt.Sprintf("%s/%d/%d", mailbox, uidValidity, uid), "")
}

// BeginPendingRead counts, committed, one more pass at decrypting the kept
// raw mail id (the pass over mail that came while the team key was
// locked) and returns the count with this one. A pass that stops the
// portal is counted all the same.
func (db *DB) BeginPendingRead(ctx context.Context, rawID int64) (int, error) {
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	var n int
	err = tx.QueryRowContext(ctx, `UPDATE mail_raw SET read_attempts = read_attempts + 1 WHERE id = ? RETURNING read_attempts`, rawID).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, Errorf(ENOTFOUND, "Message not found.")
	} else if err != nil {
		return 0, fmt.Errorf("db: count pending read: %w", err)
	}
	return n, tx.Commit()
}
