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
}

// enqueueMail writes m to the outbox inside tx; the outbox worker sends it
// after the transaction committed.
func (tx *Tx) enqueueMail(ctx context.Context, m *OutMail) (int64, error) {
	if m.MessageID == "" || m.To == "" {
		return 0, fmt.Errorf("db: enqueue mail: message id and recipient are required")
	}
	var report any
	if m.ReportID != 0 {
		report = m.ReportID
	}
	now := formatTime(tx.now)
	to, subject, body := m.To, m.Subject, m.Body
	if tx.db.sealOn {
		if err := tx.db.sealTexts(&to, &subject, &body); err != nil {
			return 0, err
		}
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO outbox (report_id, kind, message_id, in_reply_to, refs, to_addr, subject, body,
		auto_submitted, sealed, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		report, m.Kind, m.MessageID, m.InReplyTo, strings.Join(m.References, " "), to, subject, body, m.AutoSubmitted, tx.db.sealOn, now, now)
	if err != nil {
		return 0, fmt.Errorf("db: enqueue mail: %w", err)
	}
	return res.LastInsertId()
}

// OpenOutMail opens the recipient, subject and body of an outbox row stored
// sealed; the sender calls it and, while the key is locked, leaves the row
// pending (ECONFLICT) rather than failing it.
func (db *DB) OpenOutMail(m *OutMail) error {
	if !db.Unlocked() {
		return Errorf(ECONFLICT, "This mail is sealed; unlock the team key to send it.")
	}
	if !db.openTexts(&m.To, &m.Subject, &m.Body) {
		return fmt.Errorf("db: outbox mail %s does not open with this team key", m.MessageID)
	}
	return nil
}
