package db

import (
	"context"
	"fmt"
)

// maxReferences bounds the References header: the first Message-ID of the
// conversation and the latest ones, as RFC 5322 suggests when trimming.
const maxReferences = 10

// fillEvent loads what the composer needs of ev besides its report: the
// entry's text, the thread to answer in, and the reply's files.
func (tx *Tx) fillEvent(ctx context.Context, ev *Event) error {
	r := ev.Report
	ev.Sealed, ev.Locked = r.Sealed, r.Locked
	if ev.Kind == EventReportCreated {
		// A new report has no conversation yet: its acknowledgement starts it.
		return nil
	}
	if ev.MessageID != 0 && (ev.Kind == EventReply || ev.Kind == EventState) {
		text, ok, err := tx.entryText(ctx, ev.MessageID)
		if err != nil {
			return err
		}
		ev.Locked = ev.Locked || !ok
		if ev.Kind == EventReply {
			ev.Body = text
		} else {
			ev.Reason = text
		}
	}
	err := tx.QueryRowContext(ctx, `SELECT COALESCE((SELECT message_id FROM messages WHERE report_id = ?
		AND kind = 'inbound' AND message_id IS NOT NULL AND unverified = 0 ORDER BY id DESC LIMIT 1), '')`, r.ID).Scan(&ev.InReplyTo)
	if err != nil {
		return fmt.Errorf("db: notify: read report %d: %w", r.ID, err)
	}
	if ev.References, err = tx.thread(ctx, r.ID); err != nil {
		return err
	}
	if ev.MessageID != 0 && ev.Kind == EventReply {
		if ev.Attachments, err = tx.messageAttachments(ctx, ev.MessageID); err != nil {
			return err
		}
	}
	return nil
}

// thread lists the Message-IDs exchanged with the reporter on a report,
// oldest first: theirs (messages) and ours (outbox mail to no staff user).
// An unverified mail is not theirs until a triager says so.
func (tx *Tx) thread(ctx context.Context, reportID int64) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT message_id, created_at, 0 FROM messages WHERE report_id = ? AND message_id IS NOT NULL AND unverified = 0
		UNION ALL SELECT message_id, created_at, id FROM outbox WHERE report_id = ? AND user_id IS NULL
		ORDER BY 2, 3`, reportID, reportID)
	if err != nil {
		return nil, fmt.Errorf("db: notify: read thread: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id, at string
		var n int64
		if err := rows.Scan(&id, &at, &n); err != nil {
			return nil, fmt.Errorf("db: notify: scan thread: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("db: notify: read thread: %w", err)
	}
	if len(ids) > maxReferences {
		ids = append(ids[:1], ids[len(ids)-maxReferences+1:]...)
	}
	return ids, nil
}

func (tx *Tx) messageAttachments(ctx context.Context, messageID int64) ([]*Attachment, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, message_id, filename, content_type, size, sha256 FROM attachments
		WHERE message_id = ? ORDER BY id`, messageID)
	if err != nil {
		return nil, fmt.Errorf("db: notify: read attachments: %w", err)
	}
	defer rows.Close()
	var out []*Attachment
	for rows.Next() {
		a := &Attachment{}
		if err := rows.Scan(&a.ID, &a.MessageID, &a.Filename, &a.ContentType, &a.Size, &a.SHA256); err != nil {
			return nil, fmt.Errorf("db: notify: scan attachment: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// EventAudience splits the program's active members by preference for the
// events staff hear of (a new report, a reporter's mail, a mail to check):
// "every" into ev.Staff, "digest" into digest_items, "none" nowhere. The
// actor is never told of their own action. The composing transaction calls
// it once per event it composes.
func (tx *Tx) EventAudience(ctx context.Context, ev *Event) error {
	switch ev.Kind {
	case EventReportCreated, EventReporterMessage, EventUnverifiedMail:
	default:
		return nil
	}
	aud, err := tx.audienceOf(ctx, ev.Report.ProgramID)
	if err != nil {
		return err
	}
	for _, m := range aud.members {
		if m.rc.UserID == ev.Actor.UserID {
			continue
		}
		switch m.mode {
		case NotifyEvery:
			rc := m.rc
			ev.Staff = append(ev.Staff, &rc)
		case NotifyDigest:
			if _, err := tx.ExecContext(ctx, `INSERT INTO digest_items (user_id, report_id, event, created_at) VALUES (?, ?, ?, ?)`,
				m.rc.UserID, ev.Report.ID, string(ev.Kind), formatTime(tx.now)); err != nil {
				return fmt.Errorf("db: notify: queue digest item: %w", err)
			}
		}
	}
	return nil
}

// audience is who hears of a program's events: its active members with
// their preferences, and whether it has an enabled webhook.
type audience struct {
	members []member
	hooks   bool
}

type member struct {
	rc   Recipient
	mode NotifyMode
}

// audienceOf reads a program's audience: its members (directly or through
// an organisation, program_access), and in a transaction
// that caches audiences (tx.audience) also whether it has webhooks, once per
// program and transaction.
func (tx *Tx) audienceOf(ctx context.Context, programID int64) (*audience, error) {
	if a, ok := tx.audience[programID]; ok {
		return a, nil
	}
	a := &audience{}
	rows, err := tx.QueryContext(ctx, `SELECT u.id, u.email, u.name, COALESCE(np.mode, 'every'), COALESCE(np.include_title, 0)
		FROM (SELECT DISTINCT user_id FROM program_access WHERE program_id = ?) pm JOIN users u ON u.id = pm.user_id
		LEFT JOIN notification_prefs np ON np.user_id = u.id
		WHERE u.disabled = 0 ORDER BY u.id`, programID)
	if err != nil {
		return nil, fmt.Errorf("db: notify: read members: %w", err)
	}
	for rows.Next() {
		var m member
		if err := rows.Scan(&m.rc.UserID, &m.rc.Email, &m.rc.Name, &m.mode, &m.rc.IncludeTitle); err != nil {
			rows.Close()
			return nil, fmt.Errorf("db: notify: scan member: %w", err)
		}
		a.members = append(a.members, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("db: notify: read members: %w", err)
	}
	if tx.audience == nil {
		return a, nil
	}
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM webhooks WHERE program_id = ? AND enabled = 1)`, programID).Scan(&a.hooks); err != nil {
		return nil, fmt.Errorf("db: notify: read webhooks: %w", err)
	}
	tx.audience[programID] = a
	return a, nil
}

// queueWebhooks writes one delivery per enabled webhook of the report's
// program for the events webhooks carry.
func (tx *Tx) queueWebhooks(ctx context.Context, kind EventKind, reportID, programID int64, from, to State) error {
	switch kind {
	case EventReportCreated, EventReporterMessage, EventState:
	default:
		return nil
	}
	if tx.audience != nil && programID != 0 {
		// A group commit knows whether the program has webhooks at all.
		aud, err := tx.audienceOf(ctx, programID)
		if err != nil {
			return err
		}
		if !aud.hooks {
			return nil
		}
	}
	now := formatTime(tx.now)
	_, err := tx.ExecContext(ctx, `INSERT INTO webhook_deliveries (webhook_id, report_id, event, ref, from_state, to_state, next_attempt_at, created_at)
		SELECT w.id, r.id, ?, p.prefix || '-' || r.number, ?, ?, ?, ? FROM reports r JOIN programs p ON p.id = r.program_id
		JOIN webhooks w ON w.program_id = r.program_id AND w.enabled = 1 WHERE r.id = ? ORDER BY w.id`,
		string(kind), string(from), string(to), now, now, reportID)
	if err != nil {
		return fmt.Errorf("db: queue webhooks: %w", err)
	}
	return nil
}
