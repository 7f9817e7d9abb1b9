package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Mail is a row of the outbox as the sender and the admins see it.
type Mail struct {
	ID            int64
	ReportID      int64 // 0: about no report
	UserID        int64 // 0: to the reporter
	Ref           string
	Kind          string
	MessageID     string
	InReplyTo     string
	References    []string
	To            string
	Subject       string
	Body          string
	AutoSubmitted bool
	Encrypt       bool
	Sealed        bool   // To, Subject and Body are stored sealed (opened when read while unlocked)
	RecipientKey  string // the reporter's armored public key when Encrypt
	keySealed     bool   // RecipientKey is stored sealed with the reporter
	Status        string // pending, sent or failed
	Attempts      int
	LastError     string
	NextAttemptAt time.Time
	LeaseUntil    time.Time // a pending mail leased into the future is being sent
	CreatedAt     time.Time
	SentAt        time.Time
}

// Sending reports whether a worker holds the mail at time now.
func (m *Mail) Sending(now time.Time) bool {
	return m.Status == OutboxPending && m.LeaseUntil.After(now)
}

// MailAttachment is a file sent with a mail. Its bytes are Data, or, for
// the files MailAttachments returns, read from Open as a stream (a sealed
// file opened as it is read), so that a mail with large files never holds
// them in memory besides the message being composed.
type MailAttachment struct {
	Filename    string
	ContentType string
	Data        []byte
	Size        int64
	// Open, when set, reads the bytes from their start; close what it
	// returns. Its read fails at the end if the bytes are not the file.
	Open func() (io.ReadCloser, error)
}

const mailColumns = `o.id, COALESCE(o.report_id, 0), COALESCE(o.user_id, 0), COALESCE(p.prefix || '-' || r.number, ''),
	o.kind, o.message_id, o.in_reply_to, o.refs, o.to_addr, o.subject, o.body, o.auto_submitted, o.encrypt,
	CASE WHEN o.encrypt = 1 THEN COALESCE(rp.pgp_key, '') ELSE '' END, o.status, o.attempts, o.last_error,
	o.next_attempt_at, COALESCE(o.lease_until, ''), o.created_at, COALESCE(o.sent_at, ''), o.sealed, COALESCE(rp.sealed, 0)`

const mailFrom = ` FROM outbox o LEFT JOIN reports r ON r.id = o.report_id LEFT JOIN programs p ON p.id = r.program_id
	LEFT JOIN reporters rp ON rp.id = r.reporter_id `

func scanMail(row interface{ Scan(...any) error }) (*Mail, error) {
	m := &Mail{}
	var refs, next, lease, created, sent string
	err := row.Scan(&m.ID, &m.ReportID, &m.UserID, &m.Ref, &m.Kind, &m.MessageID, &m.InReplyTo, &refs, &m.To, &m.Subject,
		&m.Body, &m.AutoSubmitted, &m.Encrypt, &m.RecipientKey, &m.Status, &m.Attempts, &m.LastError, &next, &lease, &created, &sent, &m.Sealed, &m.keySealed)
	if err != nil {
		return nil, err
	}
	m.References = strings.Fields(refs)
	m.NextAttemptAt, m.LeaseUntil, m.CreatedAt, m.SentAt = parseTime(next), parseTime(lease), parseTime(created), parseTime(sent)
	return m, nil
}

// ClaimMail leases the next due mail for lease and returns it; ENOTFOUND when
// none is due. The attempt is counted now, before the mail is sent.
func (db *DB) ClaimMail(ctx context.Context, lease time.Duration) (*Mail, error) {
	var out *Mail
	err := db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		// A mail that needs the team key waits, unclaimed and with no attempt
		// counted, until the key is unlocked: its recipient and text, the
		// reporter's key it is encrypted to, or the files it carries are
		// sealed and cannot be read before.
		onlyClear := ""
		if !db.Unlocked() {
			onlyClear = mailNeedsNoKey
		}
		id, err := tx.claim(ctx, mailQueue, lease, onlyClear)
		if err != nil {
			return err
		}
		m, err := scanMail(tx.QueryRowContext(ctx, `SELECT `+mailColumns+mailFrom+` WHERE o.id = ?`, id))
		if err != nil {
			return fmt.Errorf("db: read claimed mail %d: %w", id, err)
		}
		if !db.openMail(m) {
			return fmt.Errorf("db: outbox mail %d does not open with the team key", id)
		}
		out = m
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// MailAttachments returns the files sent with mail id; their bytes stream
// from Open, opened as they are read when sealed (the reporter gets the
// file, not the team's ciphertext). While the key is locked a sealed file
// fails to open (ECONFLICT); ClaimMail does not hand out such mail then.
func (db *DB) MailAttachments(ctx context.Context, id int64) ([]*MailAttachment, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT a.id, a.size, a.sha256, a.filename, a.content_type, a.sealed FROM outbox_attachments oa
		JOIN attachments a ON a.id = oa.attachment_id WHERE oa.outbox_id = ? ORDER BY a.id`, id)
	if err != nil {
		return nil, fmt.Errorf("db: read mail attachments: %w", err)
	}
	defer rows.Close()
	var out []*MailAttachment
	for rows.Next() {
		a := &MailAttachment{}
		at := &Attachment{}
		var sealed bool
		if err := rows.Scan(&at.ID, &at.Size, &at.SHA256, &a.Filename, &a.ContentType, &sealed); err != nil {
			return nil, fmt.Errorf("db: scan mail attachment: %w", err)
		}
		a.Size = at.Size
		a.Open = func() (io.ReadCloser, error) {
			var data []byte
			if err := db.read.QueryRowContext(ctx, `SELECT data FROM attachment_data WHERE attachment_id = ?`, at.ID).Scan(&data); err != nil {
				return nil, fmt.Errorf("db: read mail attachment %d: %w", at.ID, err)
			}
			r, err := db.attachmentReader(ctx, db.read, at, data, sealed)
			if err != nil {
				return nil, fmt.Errorf("db: open mail attachment %d: %w", at.ID, err)
			}
			return r, nil
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("db: read mail attachments: %w", err)
	}
	return out, nil
}

// MailSent records that the server accepted mail id. The body of a mail
// about a sealed report is dropped then, so that sealed text does not stay
// on disk in the clear longer than sending needs, and so is the body of a
// password reset mail, whose link must not outlive its delivery in a backup.
func (db *DB) MailSent(ctx context.Context, id int64) error {
	return db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		if err := tx.markSent(ctx, mailQueue, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE outbox SET body = '' WHERE id = ? AND EXISTS (SELECT 1 FROM reports r WHERE r.id = outbox.report_id AND r.sealed = 1)`, id); err != nil {
			return fmt.Errorf("db: drop sealed mail body: %w", err)
		}
		// A reset or invitation mail's body is a live link until used or expired.
		if _, err := tx.ExecContext(ctx, `UPDATE outbox SET body = '' WHERE id = ? AND kind IN (?, ?, ?)`, id, ResetMailKind, InviteMailKind, AccountLinkMailKind); err != nil {
			return fmt.Errorf("db: drop reset mail body: %w", err)
		}
		return nil
	})
}

// MailRetry schedules mail id again after delay after a temporary failure,
// or marks it failed once it has waited giveUp. It reports whether it failed.
func (db *DB) MailRetry(ctx context.Context, id int64, errText string, delay, giveUp time.Duration) (bool, error) {
	var out bool
	err := db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		failed, err := tx.markRetry(ctx, mailQueue, id, errText, delay, giveUp)
		if err != nil {
			return err
		}
		if failed {
			if err := tx.mailFailedEvent(ctx, id); err != nil {
				return err
			}
		}
		out = failed
		return nil
	})
	if err != nil {
		return false, err
	}
	return out, nil
}

// MailFailed marks mail id failed for good (a permanent refusal).
func (db *DB) MailFailed(ctx context.Context, id int64, errText string) error {
	return db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		if err := tx.markFailed(ctx, mailQueue, id, errText); err != nil {
			return err
		}
		return tx.mailFailedEvent(ctx, id)
	})
}

// mailFailedEvent puts a failed mail to the reporter on the report's
// timeline as a staff-only event, so triagers see that the reporter was not
// told, and records it in the audit log.
func (tx *Tx) mailFailedEvent(ctx context.Context, id int64) error {
	var reportID, userID int64
	var kind, ref, lastErr string
	err := tx.QueryRowContext(ctx, `SELECT COALESCE(o.report_id, 0), COALESCE(o.user_id, 0), o.kind, o.last_error,
		COALESCE(p.prefix || '-' || r.number, '') FROM outbox o LEFT JOIN reports r ON r.id = o.report_id
		LEFT JOIN programs p ON p.id = r.program_id WHERE o.id = ?`, id).Scan(&reportID, &userID, &kind, &lastErr, &ref)
	if err != nil {
		return fmt.Errorf("db: read failed mail %d: %w", id, err)
	}
	if reportID != 0 && userID == 0 {
		if _, err := tx.addMessage(ctx, &NewMessage{ReportID: reportID, Kind: KindEvent, Public: false, Event: "mail.failed",
			Body: fmt.Sprintf("The %s mail to the reporter could not be delivered: %s", kind, lastErr)}); err != nil {
			return err
		}
	}
	return tx.audit(ctx, ActorSystem, "mail.failed", ref, fmt.Sprintf("outbox=%d kind=%s", id, kind))
}

// RetryMail puts a failed mail back in the queue; admins do this from the
// outbox page once the cause is fixed.
func (db *DB) RetryMail(ctx context.Context, id int64, actor Actor) error {
	return db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		if err := tx.retry(ctx, mailQueue, id); err != nil {
			return err
		}
		return tx.audit(ctx, actor, "mail.retry", fmt.Sprintf("outbox:%d", id), "")
	})
}

// MailByID returns one outbox mail.
func (db *DB) MailByID(ctx context.Context, id int64) (*Mail, error) {
	m, err := scanMail(db.read.QueryRowContext(ctx, `SELECT `+mailColumns+mailFrom+` WHERE o.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, Errorf(ENOTFOUND, "Mail not found.")
	} else if err != nil {
		return nil, fmt.Errorf("db: read mail %d: %w", id, err)
	}
	db.openMail(m) // shows the sealed placeholder while locked
	return m, nil
}

// Mails lists the outbox newest first, optionally one status only.
func (db *DB) Mails(ctx context.Context, status string, limit int) ([]*Mail, error) {
	q := `SELECT ` + mailColumns + mailFrom
	var args []any
	if status != "" {
		// The status leads (outbox_status_id): sent mail piles up, and
		// a walk of every row for the few failed ones grows with it.
		q = strings.Replace(q, `FROM outbox o`, `FROM outbox o INDEXED BY outbox_status_id`, 1) + ` WHERE o.status = ?`
		args = append(args, status)
	}
	return db.mails(ctx, q+` ORDER BY o.id DESC LIMIT ?`, append(args, limit)...)
}

// ReportMails lists the mail about a report, oldest first, for its timeline.
func (db *DB) ReportMails(ctx context.Context, reportID int64) ([]*Mail, error) {
	return db.mails(ctx, `SELECT `+mailColumns+mailFrom+` WHERE o.report_id = ? ORDER BY o.id`, reportID)
}

func (db *DB) mails(ctx context.Context, q string, args ...any) ([]*Mail, error) {
	rows, err := db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("db: list mail: %w", err)
	}
	defer rows.Close()
	var out []*Mail
	for rows.Next() {
		m, err := scanMail(rows)
		if err != nil {
			return nil, fmt.Errorf("db: scan mail: %w", err)
		}
		db.openMail(m)
		out = append(out, m)
	}
	return out, rows.Err()
}

// MailCounts counts the outbox by status.
func (db *DB) MailCounts(ctx context.Context) (map[string]int, error) {
	out := map[string]int{}
	if err := groupCount(ctx, db.read, `SELECT key, n FROM row_counts WHERE tbl = 'outbox' AND n > 0`, func(k string, n int) { out[k] = n }); err != nil {
		return nil, fmt.Errorf("db: count mail: %w", err)
	}
	return out, nil
}
