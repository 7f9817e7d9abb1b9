package db

import (
	"context"
	"fmt"
	"strings"
)

// OutMail is a mail to send, as the action that causes it composes it. Its
// MessageID is fixed before it is stored, so a resend after a crash keeps it.
type OutMail struct {
	ReportID      int64 // 0 for mail about no report
	Kind          string
	MessageID     string // "<id@domain>"
	InReplyTo     string
	References    []string
	To            string
	Subject       string
	Body          string
	AutoSubmitted bool // automatic notices carry Auto-Submitted: auto-generated
	// UserID is the staff recipient; 0 for mail to the reporter. Only mail
	// to the reporter joins the report's thread.
	UserID int64
	// Encrypt asks the sender to encrypt the mail to the reporter's key.
	Encrypt bool
	// Attachments are attachments.id of files sent with the mail.
	Attachments []int64
	// OrgID is the organisation a mail about no report belongs to (an
	// invitation's), whose admins read it on their outbox (fileMail).
	OrgID int64
}

// enqueueMail writes m to the outbox inside tx; the outbox worker sends it
// after the transaction committed.
func (tx *Tx) enqueueMail(ctx context.Context, m *OutMail) (int64, error) {
	if m.MessageID == "" || m.To == "" {
		return 0, fmt.Errorf("db: enqueue mail: message id and recipient are required")
	}
	var report, user any
	if m.ReportID != 0 {
		report = m.ReportID
	}
	if m.UserID != 0 {
		user = m.UserID
	}
	now := formatTime(tx.now)
	to, subject, body := m.To, m.Subject, m.Body
	switch {
	case tx.db.sealOn && to == SealedText && m.UserID == 0 && m.ReportID != 0:
		// Composed while the team key is locked: the reporter's address is
		// stored sealed, in the form the outbox keeps it, so it is taken as
		// it is and opened by the sender once the key is unlocked.
		if err := tx.QueryRowContext(ctx, `SELECT rp.email FROM reports r JOIN reporters rp ON rp.id = r.reporter_id
			WHERE r.id = ? AND rp.sealed = 1 AND rp.email <> ''`, m.ReportID).Scan(&to); err != nil {
			return 0, fmt.Errorf("db: enqueue mail: the reporter's sealed address: %w", err)
		}
		if err := tx.sealTexts(m.ReportID, &subject, &body); err != nil {
			return 0, err
		}
	case tx.db.sealOn:
		if err := tx.sealTexts(m.ReportID, &to, &subject, &body); err != nil {
			return 0, err
		}
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO outbox (report_id, kind, message_id, in_reply_to, refs, to_addr, subject, body,
		auto_submitted, sealed, next_attempt_at, created_at, user_id, encrypt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		report, m.Kind, m.MessageID, m.InReplyTo, strings.Join(m.References, " "), to, subject, body, m.AutoSubmitted, tx.db.sealOn, now, now,
		user, m.Encrypt)
	if err != nil {
		return 0, fmt.Errorf("db: enqueue mail: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("db: enqueue mail id: %w", err)
	}
	for _, aid := range m.Attachments {
		if _, err := tx.ExecContext(ctx, `INSERT INTO outbox_attachments (outbox_id, attachment_id) VALUES (?, ?)`, id, aid); err != nil {
			return 0, fmt.Errorf("db: enqueue mail attachment: %w", err)
		}
	}
	if err := tx.fileMail(ctx, id, m); err != nil {
		return 0, err
	}
	return id, nil
}
