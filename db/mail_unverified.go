package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// EventUnverifiedMail: a mail reached a report by what its sender could
// forge (its subject tag, the reporter's own Message-ID) and waits for a
// triager. Staff hear of it (content-free, like every notice);
// the reporter does not, and webhooks do not: it is not the reporter's word
// until a triager accepts it, which then counts as the reporter's reply
// (EventReporterMessage).
const EventUnverifiedMail EventKind = "mail.unverified"

// ingestUnverified stores a mail that reached its report weakly (the
// subject tag from the reporter's address, or the reporter's own
// Message-ID: all forged or copied at will; mailThread.weak), as an entry for
// staff only: off the reporter's timeline and status page, out of the
// thread our mail to the reporter quotes, and moving no state, so no
// deadline pauses or resumes because of it. Staff are told; the reporter
// and webhooks are not. AcceptMail makes it the reporter's reply.
func (tx *Tx) ingestUnverified(ctx context.Context, in *InboundMail, key string, reportID int64, p *MailPGP) (*IngestResult, error) {
	var ref string
	var anonymised bool
	err := tx.QueryRowContext(ctx, `SELECT p.prefix || '-' || r.number, r.anonymised_at IS NOT NULL FROM reports r
		JOIN programs p ON p.id = r.program_id WHERE r.id = ?`, reportID).Scan(&ref, &anonymised)
	if err != nil {
		return nil, fmt.Errorf("db: read report of unverified mail: %w", err)
	}
	if anonymised {
		return nil, Errorf(ECONFLICT, "This report was closed and its content removed under the retention policy; it takes no more messages. Please send a new report.")
	}
	body := strings.TrimSpace(in.Body)
	if body == "" && len(in.Files) == 0 {
		body = "(The mail had no text.)"
	}
	files, later, err := tx.mailFiles(in)
	if err != nil {
		return nil, err
	}
	entryID, err := tx.addMessage(ctx, &NewMessage{ReportID: reportID, Kind: KindInbound, Public: false, Source: SourceEmail,
		Body: body, MessageID: in.MessageID, Attachments: files})
	if err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE messages SET unverified = 1 WHERE id = ?`, entryID); err != nil {
		return nil, fmt.Errorf("db: mark mail unverified: %w", err)
	}
	if later {
		if err := tx.addMailFiles(ctx, entryID, in); err != nil {
			return nil, err
		}
	}
	if err := tx.storeNewMailPGP(ctx, reportID, entryID, p); err != nil {
		return nil, err
	}
	if err := tx.noteOmitted(ctx, reportID, entryID, in.Omitted); err != nil {
		return nil, err
	}
	if _, err := tx.storeRawMail(ctx, in, MailReply, key, reportID, entryID, "", 0); err != nil {
		return nil, err
	}
	if err := tx.audit(ctx, ActorSystem, "report.mail_unverified", ref, fmt.Sprintf("entry=%d", entryID)); err != nil {
		return nil, err
	}
	if err := tx.recordEvent(ctx, EventUnverifiedMail, reportID, entryID, ActorSystem, "", "", 0); err != nil {
		return nil, err
	}
	return &IngestResult{Kind: MailReply, ReportID: reportID, Ref: ref, Unverified: true}, nil
}

// AcceptMail makes an unverified mail of a report the reporter's reply, as
// if it had been threaded by reference: it joins the reporter's timeline,
// a report waiting on the reporter moves back (its clocks resume from now),
// staff and webhooks hear of a reporter reply, and the acceptance is
// audited with the triager's name. The caller checked the user may write
// the report. An entry that is not an unverified mail of this report is
// not found.
func (db *DB) AcceptMail(ctx context.Context, reportID, entryID int64, actor Actor) error {
	return db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		return tx.acceptEntry(ctx, reportID, entryID, actor, "report.mail_accept")
	})
}

// acceptSignedMail accepts an unverified mail once its signature, checked
// after the team key was unlocked and it could be decrypted, turns out to
// cover the whole mail, be by a key bound to the reporter (storeMailPGP
// judged that) and name the report (signedForReport): the rule intake
// applies to a mail it can read at once. Anything else stays for a
// triager, with a note when the signature was good but named no report.
func (tx *Tx) acceptSignedMail(ctx context.Context, reportID, entryID int64, body string, p *MailPGP) error {
	if p.Signature != SigVerified {
		return nil
	}
	var unverified bool
	err := tx.QueryRowContext(ctx, `SELECT unverified FROM messages WHERE id = ? AND report_id = ?`, entryID, reportID).Scan(&unverified)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !unverified) {
		return nil // not an unverified mail: nothing to do
	} else if err != nil {
		return fmt.Errorf("db: find unverified mail: %w", err)
	}
	note := p.Note
	ok, err := tx.signedForReport(ctx, reportID, body, p)
	if err != nil {
		return err
	}
	if !ok {
		if p.Note != note {
			if _, err := tx.ExecContext(ctx, `UPDATE messages SET pgp_note = ? WHERE id = ?`, p.Note, entryID); err != nil {
				return fmt.Errorf("db: note on signed mail: %w", err)
			}
		}
		return nil
	}
	return tx.acceptEntry(ctx, reportID, entryID, ActorSystem, "report.mail_verified")
}

// acceptEntry turns the unverified mail entryID of reportID into the
// reporter's entry, audited as action by actor.
func (tx *Tx) acceptEntry(ctx context.Context, reportID, entryID int64, actor Actor, action string) error {
	var state, prev, ref string
	var anonymised bool
	err := tx.QueryRowContext(ctx, `SELECT r.state, r.prev_state, p.prefix || '-' || r.number, r.anonymised_at IS NOT NULL
		FROM messages m JOIN reports r ON r.id = m.report_id JOIN programs p ON p.id = r.program_id
		WHERE m.id = ? AND m.report_id = ? AND m.unverified = 1`, entryID, reportID).Scan(&state, &prev, &ref, &anonymised)
	if errors.Is(err, sql.ErrNoRows) {
		return Errorf(ENOTFOUND, "This mail is not waiting to be accepted.")
	} else if err != nil {
		return fmt.Errorf("db: find unverified mail: %w", err)
	}
	if anonymised {
		return Errorf(ECONFLICT, "This report's content was removed under the retention policy.")
	}
	if _, err := tx.ExecContext(ctx, `UPDATE messages SET unverified = 0, public = 1 WHERE id = ?`, entryID); err != nil {
		return fmt.Errorf("db: accept mail: %w", err)
	}
	if err := tx.audit(ctx, actor, action, ref, fmt.Sprintf("entry=%d", entryID)); err != nil {
		return err
	}
	return tx.reporterAnswered(ctx, reportID, ref, State(state), State(prev), entryID, "", SourceEmail)
}
