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
	res, err := tx.ExecContext(ctx, `INSERT INTO outbox (report_id, kind, message_id, in_reply_to, refs, to_addr, subject, body,
		auto_submitted, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		report, m.Kind, m.MessageID, m.InReplyTo, strings.Join(m.References, " "), m.To, m.Subject, m.Body, m.AutoSubmitted, now, now)
	if err != nil {
		return 0, fmt.Errorf("db: enqueue mail: %w", err)
	}
	return res.LastInsertId()
}
