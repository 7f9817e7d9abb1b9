package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// NotifyMode is how a staff user hears of new reports and reporter replies in
// their programs.
type NotifyMode string

// Notification modes; with no choice made, a user gets every event.
const (
	NotifyEvery  NotifyMode = "every"
	NotifyDigest NotifyMode = "digest"
	NotifyNone   NotifyMode = "none"
)

// Valid reports whether m is a known mode.
func (m NotifyMode) Valid() bool { return m == NotifyEvery || m == NotifyDigest || m == NotifyNone }

// NotifyPrefs is a staff user's choice. Notifications are content-free
// (reference and link) unless IncludeTitle; a sealed report's title is never
// mailed.
type NotifyPrefs struct {
	UserID       int64
	Mode         NotifyMode
	IncludeTitle bool
}

// NotifyPrefsOf returns a user's preferences, the defaults when none were set.
func (db *DB) NotifyPrefsOf(ctx context.Context, userID int64) (*NotifyPrefs, error) {
	p := &NotifyPrefs{UserID: userID, Mode: NotifyEvery}
	err := db.read.QueryRowContext(ctx, `SELECT mode, include_title FROM notification_prefs WHERE user_id = ?`, userID).Scan(&p.Mode, &p.IncludeTitle)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("db: read notification preferences: %w", err)
	}
	return p, nil
}

// SetNotifyPrefs stores a user's choice.
func (db *DB) SetNotifyPrefs(ctx context.Context, p *NotifyPrefs, actor Actor) error {
	if !p.Mode.Valid() {
		return Errorf(EINVALID, "Choose every event, a daily digest or none.")
	}
	return db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO notification_prefs (user_id, mode, include_title, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (user_id) DO UPDATE SET mode = excluded.mode, include_title = excluded.include_title, updated_at = excluded.updated_at`,
			p.UserID, string(p.Mode), p.IncludeTitle, formatTime(tx.now))
		if err != nil {
			return fmt.Errorf("db: store notification preferences: %w", err)
		}
		return tx.audit(ctx, actor, "user.notifications", fmt.Sprintf("user:%d", p.UserID), "mode="+string(p.Mode))
	})
}

// DigestItem is one event waiting for a user's daily digest.
type DigestItem struct {
	ID       int64 // digest_items.id
	ReportID int64
	Ref      string
	Title    string // empty when the report is sealed or the user wants no titles
	Event    EventKind
	At       time.Time
}

// Digest is one user's due digest: the items waiting for them.
type Digest struct {
	To    *Recipient
	Items []*DigestItem
}

// DueDigests reads the digests due now: every user on a daily digest whose
// last digest is at least every old and who has items waiting. A digest
// may have no items left (all of programs the user has left by now);
// QueueDigest then only clears it. The mail gateway composes the mail
// (mailin.Jobs) in the same transaction.
func (tx *Tx) DueDigests(ctx context.Context, every time.Duration) ([]*Digest, error) {
	rows, err := tx.QueryContext(ctx, `SELECT u.id, u.email, u.name, np.include_title FROM notification_prefs np
		JOIN users u ON u.id = np.user_id
		WHERE np.mode = 'digest' AND u.disabled = 0 AND (np.digest_sent_at IS NULL OR np.digest_sent_at <= ?)
		AND EXISTS (SELECT 1 FROM digest_items d WHERE d.user_id = u.id) ORDER BY u.id`, formatTime(tx.now.Add(-every)))
	if err != nil {
		return nil, fmt.Errorf("db: read digest users: %w", err)
	}
	var out []*Digest
	for rows.Next() {
		rc := &Recipient{}
		if err := rows.Scan(&rc.UserID, &rc.Email, &rc.Name, &rc.IncludeTitle); err != nil {
			rows.Close()
			return nil, fmt.Errorf("db: scan digest user: %w", err)
		}
		out = append(out, &Digest{To: rc})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("db: read digest users: %w", err)
	}
	for _, d := range out {
		if d.Items, err = tx.digestItems(ctx, d.To); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// QueueDigest writes m, the mail composed of d, to the outbox, names its
// reports on it (so a purge removes it with them), clears the user's items
// and notes when it went. A nil m (a digest with no items) only clears.
func (tx *Tx) QueueDigest(ctx context.Context, d *Digest, m *OutMail) error {
	rc := d.To
	if m != nil {
		id, err := tx.enqueueMail(ctx, m)
		if err != nil {
			return err
		}
		if err := tx.mentionReports(ctx, id, d.Items); err != nil {
			return err
		}
		if err := tx.fileDigest(ctx, id); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM digest_items WHERE user_id = ?`, rc.UserID); err != nil {
		return fmt.Errorf("db: clear digest: %w", err)
	}
	if m == nil {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE notification_prefs SET digest_sent_at = ? WHERE user_id = ?`, formatTime(tx.now), rc.UserID); err != nil {
		return fmt.Errorf("db: mark digest sent: %w", err)
	}
	return nil
}

// digestItems are rc's waiting items of the programs rc is still a member
// of: an item queued before the user left a program names a report (and
// maybe its title) they may no longer see.
func (tx *Tx) digestItems(ctx context.Context, rc *Recipient) ([]*DigestItem, error) {
	rows, err := tx.QueryContext(ctx, `SELECT d.id, d.report_id, p.prefix || '-' || r.number, CASE WHEN r.sealed = 0 AND ? THEN r.title ELSE '' END,
		d.event, d.created_at FROM digest_items d JOIN reports r ON r.id = d.report_id JOIN programs p ON p.id = r.program_id
		WHERE d.user_id = ? AND EXISTS (SELECT 1 FROM program_access pm WHERE pm.program_id = r.program_id AND pm.user_id = d.user_id)
		ORDER BY d.id`, rc.IncludeTitle, rc.UserID)
	if err != nil {
		return nil, fmt.Errorf("db: read digest items: %w", err)
	}
	defer rows.Close()
	var out []*DigestItem
	for rows.Next() {
		it := &DigestItem{}
		var at string
		if err := rows.Scan(&it.ID, &it.ReportID, &it.Ref, &it.Title, &it.Event, &at); err != nil {
			return nil, fmt.Errorf("db: scan digest item: %w", err)
		}
		it.At = parseTime(at)
		out = append(out, it)
	}
	return out, rows.Err()
}
