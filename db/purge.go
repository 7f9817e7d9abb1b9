package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// AnonymisedTitle replaces the title of an anonymised report.
const AnonymisedTitle = "[anonymised]"

// PurgeResult counts what one retention run did.
type PurgeResult struct {
	Due     int                    // disposals the rules made due
	Done    map[DisposalAction]int // carried out (or, in a dry run, that would be)
	Skipped int                    // no longer due when their turn came (a hold, a reopen)
	Failed  int
}

// Purge applies the retention rules at db.Now: each disposal in its own
// transaction with its audit row, so an error or a shutdown between reports
// leaves every earlier one complete. progress, when set, is told about each
// disposal (err is nil when it succeeded). With dryRun nothing is written.
// It stops between reports when ctx is cancelled.
func (db *DB) Purge(ctx context.Context, dryRun bool, progress func(d Disposal, done bool, err error)) (*PurgeResult, error) {
	due, err := db.RetentionDue(ctx)
	if err != nil {
		return nil, err
	}
	res := &PurgeResult{Due: len(due), Done: map[DisposalAction]int{}}
	var errs []error
	for _, d := range due {
		if err := ctx.Err(); err != nil {
			return res, fmt.Errorf("db: purge stopped: %w", err)
		}
		done, err := true, error(nil)
		if !dryRun {
			done, err = db.dispose(ctx, d)
		}
		switch {
		case err != nil:
			res.Failed++
			errs = append(errs, fmt.Errorf("%s %s: %w", d.Action, d.Ref, err))
		case done:
			res.Done[d.Action]++
		default:
			res.Skipped++
		}
		if progress != nil {
			progress(d, done, err)
		}
	}
	return res, errors.Join(errs...)
}

// dispose carries out one disposal if it is still due.
func (db *DB) dispose(ctx context.Context, d Disposal) (bool, error) {
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM reports r WHERE r.id = ? AND r.program_id = ? AND r.legal_hold = 0 AND `+
		disposalCond(d.Action), d.ReportID, d.programID, d.cutoff).Scan(&n); err != nil {
		return false, fmt.Errorf("db: recheck disposal: %w", err)
	}
	if n == 0 {
		return false, nil
	}
	var detail string
	switch d.Action {
	case DisposeDelete:
		err = tx.deleteReport(ctx, d.ReportID)
		detail = fmt.Sprintf("spam closed more than %d days ago", d.Days)
	case DisposeAnonymise:
		err = tx.anonymiseReport(ctx, d.ReportID)
		detail = fmt.Sprintf("finished more than %d days ago", d.Days)
	case DisposeAttachments:
		var k int64
		k, err = tx.deleteAttachments(ctx, d.ReportID)
		detail = fmt.Sprintf("%d attachments; finished more than %d days ago", k, d.Days)
	default:
		err = fmt.Errorf("db: unknown disposal %q", d.Action)
	}
	if err != nil {
		return false, err
	}
	if err := tx.audit(ctx, ActorSystem, "retention."+string(d.Action), d.Ref, detail); err != nil {
		return false, err
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("db: commit disposal: %w", err)
	}
	return true, nil
}

func (tx *Tx) deleteAttachments(ctx context.Context, reportID int64) (int64, error) {
	// attachment_data goes with its attachment (ON DELETE CASCADE).
	res, err := tx.ExecContext(ctx, `DELETE FROM attachments WHERE message_id IN (SELECT id FROM messages WHERE report_id = ?)`, reportID)
	if err != nil {
		return 0, fmt.Errorf("db: delete attachments: %w", err)
	}
	return res.RowsAffected()
}

// anonymiseReport keeps what statistics need (program, number, state, dates,
// severity, CWE, CVE) and removes who reported it and what they wrote. The
// FTS triggers drop the old text from the index as the columns change.
func (tx *Tx) anonymiseReport(ctx context.Context, reportID int64) error {
	var reporterID sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT reporter_id FROM reports WHERE id = ?`, reportID).Scan(&reporterID); err != nil {
		return fmt.Errorf("db: read reporter of report: %w", err)
	}
	if _, err := tx.deleteAttachments(ctx, reportID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE reports SET title = ?, asset = '', description = '', steps = '', impact = '',
		credit = '', close_reason = '', reporter_id = NULL, receipt_hash = NULL, submission_key = NULL, sealed = 0,
		anonymised_at = ?, version = version + 1 WHERE id = ?`, AnonymisedTitle, formatTime(tx.now), reportID); err != nil {
		return fmt.Errorf("db: anonymise report: %w", err)
	}
	// Message-IDs of reporters' mail name their domain; bodies are their words
	// and ours quoting them.
	if _, err := tx.ExecContext(ctx, `UPDATE messages SET body = '', message_id = NULL, sealed = 0 WHERE report_id = ?`, reportID); err != nil {
		return fmt.Errorf("db: anonymise timeline: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM outbox WHERE report_id = ?`, reportID); err != nil {
		return fmt.Errorf("db: delete report mail: %w", err)
	}
	return tx.dropReporter(ctx, reporterID)
}

// deleteReport removes a report with its timeline, attachments and mail.
func (tx *Tx) deleteReport(ctx context.Context, reportID int64) error {
	var reporterID sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT reporter_id FROM reports WHERE id = ?`, reportID).Scan(&reporterID); err != nil {
		return fmt.Errorf("db: read reporter of report: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE reports SET duplicate_of = NULL WHERE duplicate_of = ?`, reportID); err != nil {
		return fmt.Errorf("db: unlink duplicates: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM outbox WHERE report_id = ?`, reportID); err != nil {
		return fmt.Errorf("db: delete report mail: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM reports WHERE id = ?`, reportID); err != nil {
		return fmt.Errorf("db: delete report: %w", err)
	}
	return tx.dropReporter(ctx, reporterID)
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
