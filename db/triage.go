package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// staleMessage is what a triager reads when someone else wrote first.
const staleMessage = "Someone else changed this report after you opened it, so your change was not saved. Reload the page to see their change, then try again."

// lockReport reads a report for a staff write and refuses the write when the
// form was made from an older version: two triagers editing at once never
// silently overwrite each other. The caller must bump the version.
func (tx *Tx) lockReport(ctx context.Context, reportID, version int64) (*Report, error) {
	r, err := scanReport(tx.QueryRowContext(ctx, `SELECT `+reportColumns+reportFrom+` WHERE r.id = ?`, reportID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, Errorf(ENOTFOUND, "Report not found.")
	} else if err != nil {
		return nil, fmt.Errorf("db: read report %d: %w", reportID, err)
	}
	if r.Version != version {
		return nil, Errorf(ECONFLICT, staleMessage)
	}
	tx.db.openReport(r)
	return r, nil
}

// updateReport is Update for a staff write to a report: fn gets the report
// as the transaction reads it, locked at version (see lockReport).
func (db *DB) updateReport(ctx context.Context, reportID, version int64, fn func(ctx context.Context, tx *Tx, r *Report) error) error {
	return db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		r, err := tx.lockReport(ctx, reportID, version)
		if err != nil {
			return err
		}
		return fn(ctx, tx, r)
	})
}

// touch bumps the version and the update time; every staff write calls it
// once, so the next stale form is refused.
func (tx *Tx) touch(ctx context.Context, reportID int64, set string, args ...any) error {
	q := `UPDATE reports SET version = version + 1, updated_at = ?`
	if set != "" {
		q += `, ` + set
	}
	if _, err := tx.ExecContext(ctx, q+` WHERE id = ?`, append(append([]any{formatTime(tx.now)}, args...), reportID)...); err != nil {
		return fmt.Errorf("db: update report %d: %w", reportID, err)
	}
	return nil
}

// firstResponse records the first public answer of staff, which stops the
// first-response clock.
func (tx *Tx) firstResponse(ctx context.Context, reportID int64) error {
	if _, err := tx.ExecContext(ctx, `UPDATE reports SET first_response_at = ? WHERE id = ? AND first_response_at IS NULL`,
		formatTime(tx.now), reportID); err != nil {
		return fmt.Errorf("db: record first response: %w", err)
	}
	return nil
}

func validateStaffText(body string, files []NewAttachment, lim Limits) FieldErrors {
	errs := FieldErrors{}
	if strings.TrimSpace(body) == "" && len(files) == 0 {
		errs["body"] = "Write a message or attach a file."
	} else if n := utf8.RuneCountInString(body); n > lim.MaxTextRunes {
		errs["body"] = fmt.Sprintf("Keep the message under %s (it has %d).", count(lim.MaxTextRunes, "character", "characters"), n)
	}
	validateAttachments(files, lim, errs)
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// Reply sends a public reply to the reporter: it is on the reporter's status
// page at once, and it is mailed (from the event it records) when the
// reporter left an address.
func (db *DB) Reply(ctx context.Context, reportID, version int64, actor Actor, body string, files []NewAttachment, lim Limits) error {
	return db.addStaffMessage(ctx, version, actor, &NewMessage{ReportID: reportID, Kind: KindReply, Public: true, AuthorID: actor.UserID,
		Source: SourceWeb, Body: body, Attachments: files}, "report.reply", lim)
}

// AddNote adds an internal note: staff only, never on the status page, never
// mailed to the reporter.
func (db *DB) AddNote(ctx context.Context, reportID, version int64, actor Actor, body string, files []NewAttachment, lim Limits) error {
	return db.addStaffMessage(ctx, version, actor, &NewMessage{ReportID: reportID, Kind: KindNote, Public: false, AuthorID: actor.UserID,
		Body: body, Attachments: files}, "report.note", lim)
}

// addStaffMessage writes a reply or a note in one transaction, so the two
// cannot drift apart in validation, locking or audit: only a reply counts as
// the first response and records an event (mailed to the reporter).
func (db *DB) addStaffMessage(ctx context.Context, version int64, actor Actor, m *NewMessage, action string, lim Limits) error {
	m.Body = strings.TrimSpace(m.Body)
	if errs := validateStaffText(m.Body, m.Attachments, lim); errs != nil {
		return Invalid(errs)
	}
	return db.updateReport(ctx, m.ReportID, version, func(ctx context.Context, tx *Tx, r *Report) error {
		msgID, err := tx.addMessage(ctx, m)
		if err != nil {
			return err
		}
		reply := m.Kind == KindReply
		if reply {
			if err := tx.firstResponse(ctx, m.ReportID); err != nil {
				return err
			}
		}
		if err := tx.touch(ctx, m.ReportID, ""); err != nil {
			return err
		}
		if err := tx.audit(ctx, actor, action, r.Ref(), fmt.Sprintf("message=%d attachments=%d", msgID, len(m.Attachments))); err != nil {
			return err
		}
		if reply {
			return tx.recordEvent(ctx, EventReply, m.ReportID, msgID, actor, "", "", r.ProgramID)
		}
		return nil
	})
}

// StateChange is a triager's move of a report.
type StateChange struct {
	To State
	// Reason is shown to the reporter; closing requires one.
	Reason string
	// DuplicateOf is the original's reference; required for duplicate.
	DuplicateOf string
}

// ChangeState moves a report along the transition table. Closing needs a
// reason the reporter reads; a duplicate needs its original, in the same
// program; reopening clears both.
func (db *DB) ChangeState(ctx context.Context, reportID, version int64, actor Actor, ch StateChange) error {
	ch.Reason = strings.TrimSpace(ch.Reason)
	ch.DuplicateOf = strings.ToUpper(strings.TrimSpace(ch.DuplicateOf))
	errs := FieldErrors{}
	if !ch.To.Valid() {
		errs["to"] = "Choose a state from the list."
	}
	if ch.To.Closed() && ch.Reason == "" {
		errs["reason"] = "Closing a report needs a reason; the reporter reads it."
	} else if utf8.RuneCountInString(ch.Reason) > 2000 {
		errs["reason"] = "Keep the reason under 2000 characters."
	}
	if ch.To == StateDuplicate && ch.DuplicateOf == "" {
		errs["duplicate_of"] = "Give the reference of the original report, like SEC-12."
	}
	if len(errs) > 0 {
		return Invalid(errs)
	}
	return db.updateReport(ctx, reportID, version, func(ctx context.Context, tx *Tx, r *Report) error {
		if !r.State.CanMoveTo(ch.To) {
			return Invalid(FieldErrors{"to": Keyed(MsgTransition, string(r.State), string(ch.To))})
		}
		var dupID any
		if ch.To == StateDuplicate {
			id, err := tx.originalOf(ctx, r, ch.DuplicateOf)
			if err != nil {
				return err
			}
			dupID = id
		}
		reason := ch.Reason
		if ch.To == StateDuplicate {
			reason = strings.TrimSpace("Duplicate of " + ch.DuplicateOf + ". " + reason)
		}
		if err := tx.firstResponse(ctx, reportID); err != nil {
			return err
		}
		closeReason := ""
		if ch.To.Closed() {
			closeReason = ch.Reason
		}
		if r.Sealed {
			var err error
			if closeReason, err = tx.db.sealText(closeReason); err != nil {
				return err
			}
		}
		// setState bumps the version; the duplicate link and reason go first so
		// that the event's mail reads them.
		if _, err := tx.ExecContext(ctx, `UPDATE reports SET duplicate_of = ?, close_reason = ? WHERE id = ?`, dupID, closeReason, reportID); err != nil {
			return fmt.Errorf("db: set close reason: %w", err)
		}
		return tx.setState(ctx, reportID, r.Ref(), r.State, ch.To, actor, reason)
	})
}

// originalOf finds the report a duplicate points to: it must exist in the
// same program and not be the report itself.
func (tx *Tx) originalOf(ctx context.Context, r *Report, ref string) (int64, error) {
	bad := Invalid(FieldErrors{"duplicate_of": "Give the reference of an existing report of the same program, like " + r.Prefix + "-12."})
	prefix, n, ok := ParseRef(ref)
	if !ok {
		return 0, bad
	}
	var id, programID int64
	err := tx.QueryRowContext(ctx, `SELECT r.id, r.program_id FROM reports r JOIN programs p ON p.id = r.program_id
		WHERE p.prefix = ? AND r.number = ?`, prefix, n).Scan(&id, &programID)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && programID != r.ProgramID) {
		return 0, bad
	} else if err != nil {
		return 0, fmt.Errorf("db: find original: %w", err)
	}
	if id == r.ID {
		return 0, Invalid(FieldErrors{"duplicate_of": "A report cannot be a duplicate of itself."})
	}
	return id, nil
}
