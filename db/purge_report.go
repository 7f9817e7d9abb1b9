package db

import (
	"context"
	"database/sql"
	"fmt"
)

// What a disposal leaves, table by table. Retention promises that an
// anonymised report keeps only what statistics need and that a deleted one
// is gone; secure_delete (dsn) and FTS5's secure-delete overwrite what the
// statements below remove, and Purge checkpoints the WAL afterwards.
//
//   - reports: anonymised keeps program, number, state, source, severity,
//     CVSS, CWE, CVE, assignee, duplicate-of, legal hold and every date; the
//     text, credit, close reason, reporter link, receipt hash and form key go.
//   - reports_fts (and its shadow tables): follows the row by trigger, so it
//     holds "[anonymised]"; the in-memory index of sealed reports is dropped.
//   - messages: kind, visibility, author, source, state change and dates
//     stay; body, Message-ID, signer fingerprint and OpenPGP note go.
//   - attachments, attachment_data, attachment_chunks, outbox_attachments: go.
//   - mail_raw, mail_raw_chunks: every kept mail of the report goes (and
//     copies of it kept as duplicates); mail_disposed keeps keyed hashes of
//     its digest and Message-ID so a re-fetch does not bring it back.
//   - pgp_key_candidates: go (their user IDs name the reporter).
//   - reporters: go once no other report refers to them.
//   - outbox: every mail about the report goes, to the reporter and to staff,
//     sent or not, and every digest that names it (outbox_mentions).
//   - digest_items, reminders: go (deleted with the report anyway).
//   - webhook_deliveries: stay; they hold the reference and states only, and
//     the content a webhook may carry is read from the report when sent.
//   - audit: stays, append-only and hash-chained; no row names the reporter
//     or quotes report text (a saved key is named by candidate id, not by
//     fingerprint), so nothing there needs rewriting.
//   - reporter access: ended in endReporterAccess.
//   - programs, users, sessions, settings, mail_mailboxes, mail_failures,
//     mail_intake, webhooks, retention_rules, report_state_counts: hold no
//     report's data.

// anonymiseReport keeps what statistics need (program, number, state, dates,
// severity, CWE, CVE) and removes who reported it, what they wrote and
// everything made from it.
func (tx *Tx) anonymiseReport(ctx context.Context, reportID int64) error {
	reporterID, err := tx.reporterOf(ctx, reportID)
	if err != nil {
		return err
	}
	if _, err := tx.deleteAttachments(ctx, reportID); err != nil {
		return err
	}
	if err := tx.disposeReportCopies(ctx, reportID); err != nil {
		return err
	}
	for _, q := range []string{
		`DELETE FROM pgp_key_candidates WHERE report_id = ?`,
		`DELETE FROM digest_items WHERE report_id = ?`,
		`DELETE FROM reminders WHERE report_id = ?`,
	} {
		if _, err := tx.ExecContext(ctx, q, reportID); err != nil {
			return fmt.Errorf("db: anonymise report: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE reports SET title = ?, asset = '', description = '', steps = '', impact = '',
		credit = '', close_reason = '', reporter_id = NULL, sealed = 0, anonymised_at = ?, version = version + 1 WHERE id = ?`,
		AnonymisedTitle, formatTime(tx.now), reportID); err != nil {
		return fmt.Errorf("db: anonymise report: %w", err)
	}
	// Message-IDs of reporters' mail name their domain; bodies are their
	// words and ours quoting them; a signer is a key fingerprint, and notes
	// quote key errors. An entry still waiting for the team key can never be
	// decrypted now that its raw mail is gone.
	if _, err := tx.ExecContext(ctx, `UPDATE messages SET body = '', message_id = NULL, sealed = 0, pgp_signer = '', pgp_note = '',
		pgp_state = CASE pgp_state WHEN 'pending' THEN 'failed' ELSE pgp_state END WHERE report_id = ?`, reportID); err != nil {
		return fmt.Errorf("db: anonymise timeline: %w", err)
	}
	return tx.dropReporter(ctx, reporterID)
}

// deleteReport removes a report with everything tied to it.
func (tx *Tx) deleteReport(ctx context.Context, reportID int64) error {
	reporterID, err := tx.reporterOf(ctx, reportID)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE reports SET duplicate_of = NULL WHERE duplicate_of = ?`, reportID); err != nil {
		return fmt.Errorf("db: unlink duplicates: %w", err)
	}
	if err := tx.disposeReportCopies(ctx, reportID); err != nil {
		return err
	}
	// The timeline, attachments, key candidates, digest items and reminders
	// go with the row (ON DELETE CASCADE).
	if _, err := tx.ExecContext(ctx, `DELETE FROM reports WHERE id = ?`, reportID); err != nil {
		return fmt.Errorf("db: delete report: %w", err)
	}
	return tx.dropReporter(ctx, reporterID)
}

// reporterOf is the reporter of a report (null when it has none), read
// before the report's row changes so that dropReporter can follow.
func (tx *Tx) reporterOf(ctx context.Context, reportID int64) (sql.NullInt64, error) {
	var id sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT reporter_id FROM reports WHERE id = ?`, reportID).Scan(&id); err != nil {
		return id, fmt.Errorf("db: read reporter of report: %w", err)
	}
	return id, nil
}

// disposeReportCopies removes what anonymising and deleting a report both
// remove outside its own rows: its raw mail, the outbox mail about it, and
// the reporter's access to its status page.
func (tx *Tx) disposeReportCopies(ctx context.Context, reportID int64) error {
	if _, err := tx.disposeReportMail(ctx, reportID); err != nil {
		return err
	}
	if err := tx.disposeReportOutbox(ctx, reportID); err != nil {
		return err
	}
	return tx.endReporterAccess(ctx, reportID)
}

// dropAttachments is the attachments rule: the files go, and so does the
// raw mail of the report, which holds them too.
func (tx *Tx) dropAttachments(ctx context.Context, reportID int64) (files, mails int64, err error) {
	if files, err = tx.deleteAttachments(ctx, reportID); err != nil {
		return 0, 0, err
	}
	if mails, err = tx.disposeReportMail(ctx, reportID); err != nil {
		return 0, 0, err
	}
	return files, mails, nil
}

func (tx *Tx) deleteAttachments(ctx context.Context, reportID int64) (int64, error) {
	// attachment_data and attachment_chunks go with their attachment (ON
	// DELETE CASCADE), and so do the outbox's links to them.
	res, err := tx.ExecContext(ctx, `DELETE FROM attachments WHERE message_id IN (SELECT id FROM messages WHERE report_id = ?)`, reportID)
	if err != nil {
		return 0, fmt.Errorf("db: delete attachments: %w", err)
	}
	return res.RowsAffected()
}

// disposeReportOutbox removes the mail about a report, whatever its state:
// to the reporter (their address, our words quoting theirs), notices to
// staff, and every digest that names it.
func (tx *Tx) disposeReportOutbox(ctx context.Context, reportID int64) error {
	// outbox_attachments and outbox_mentions go with their mail (ON DELETE CASCADE).
	if _, err := tx.ExecContext(ctx, `DELETE FROM outbox WHERE id IN (SELECT outbox_id FROM outbox_mentions WHERE report_id = ?)`, reportID); err != nil {
		return fmt.Errorf("db: delete digests naming the report: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM outbox WHERE report_id = ?`, reportID); err != nil {
		return fmt.Errorf("db: delete report mail: %w", err)
	}
	return nil
}

// endReporterAccess ends every way the reporter had into the report: the
// receipt code and the form's one-time key. It is the one place a disposal
// (anonymise or delete) ends reporter access; whatever else grants it (a
// status session) is ended here too.
func (tx *Tx) endReporterAccess(ctx context.Context, reportID int64) error {
	if _, err := tx.ExecContext(ctx, `UPDATE reports SET receipt_hash = NULL, submission_key = NULL WHERE id = ?`, reportID); err != nil {
		return fmt.Errorf("db: end reporter access: %w", err)
	}
	return nil
}

// dropReporter removes a reporter once no report refers to it; a reporter
// shared with a live report (mail threads can reuse one) stays for that one.
func (tx *Tx) dropReporter(ctx context.Context, id sql.NullInt64) error {
	if !id.Valid {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM reporters WHERE id = ? AND NOT EXISTS (SELECT 1 FROM reports WHERE reporter_id = ?)`,
		id.Int64, id.Int64); err != nil {
		return fmt.Errorf("db: delete reporter: %w", err)
	}
	return nil
}

// mentionReports records which reports a digest mail names, so retention
// finds the mail when one of them goes (outbox_mentions).
func (tx *Tx) mentionReports(ctx context.Context, outboxID int64, items []*DigestItem) error {
	for _, it := range items {
		if _, err := tx.ExecContext(ctx, `INSERT INTO outbox_mentions (report_id, outbox_id) VALUES (?, ?) ON CONFLICT DO NOTHING`,
			it.ReportID, outboxID); err != nil {
			return fmt.Errorf("db: record the reports a digest names: %w", err)
		}
	}
	return nil
}
