package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
)

// The mail gateway decides what a message becomes (mailin: dedupe,
// automatic mail, threading trust, program, acknowledgement) and stores its
// decision through the methods below, inside one DB.Update that also
// advances the mailbox position (Tx.AdvanceMailboxes). Each method stores or
// looks up one thing; none decides for the gateway.

// Attempt runs fn in a savepoint of the transaction: fn's writes are undone
// when it fails or panics, the transaction's others kept. lost says SQLite
// rolled back the whole transaction (disk full, I/O error): nothing of it
// is left, and the caller's Update must return err. Intake stores each
// message of a batch in its own attempt, so one bad message stops its batch
// without undoing the messages before it.
func (tx *Tx) Attempt(fn func() error) (err error, lost bool) {
	if tx.attempt == nil {
		sp, err := prepareSavepoint(context.Background(), tx, "attempt")
		if err != nil {
			return err, true
		}
		tx.attempt = sp
	}
	return tx.attempt.run(tx, fn)
}

// RawMailTaken returns what these exact bytes (by their hash) became when
// they were taken before, with Again set, or nil. Bytes disposed of by
// retention read as a duplicate taken before.
func (tx *Tx) RawMailTaken(ctx context.Context, sha256 string) (*IngestResult, error) {
	if sha256 == "" {
		return nil, fmt.Errorf("db: ingest mail: no raw hash")
	}
	res := &IngestResult{Again: true}
	err := tx.QueryRowContext(ctx, `SELECT r.kind, COALESCE(r.report_id, 0), COALESCE(p.prefix || '-' || rp.number, '')
		FROM mail_raw r LEFT JOIN reports rp ON rp.id = r.report_id LEFT JOIN programs p ON p.id = rp.program_id
		WHERE r.sha256 = ?`, sha256).Scan(&res.Kind, &res.ReportID, &res.Ref)
	if err == nil {
		return res, nil
	} else if !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("db: look up raw mail: %w", err)
	}
	if gone, err := tx.mailDisposed(ctx, false, sha256); err != nil {
		return nil, err
	} else if gone {
		return &IngestResult{Kind: MailDuplicate, Again: true}, nil
	}
	return nil, nil
}

// DedupeKey is the unique key a message is kept under: its Message-ID, or
// its hash when it has none.
func DedupeKey(in *InboundMail) string {
	if in.MessageID != "" {
		return in.MessageID
	}
	return "sha256:" + in.RawSHA256
}

// MessageIDTaken says whether a mail with in's Message-ID was received
// before (kept raw, on a timeline, or disposed of by retention).
func (tx *Tx) MessageIDTaken(ctx context.Context, in *InboundMail) (bool, error) {
	if in.MessageID == "" {
		return false, nil
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM mail_raw WHERE dedupe_key = ?) + (SELECT COUNT(*) FROM messages WHERE message_id = ?)`,
		DedupeKey(in), in.MessageID).Scan(&n); err != nil {
		return false, fmt.Errorf("db: look up message id: %w", err)
	}
	if n > 0 {
		return true, nil
	}
	return tx.mailDisposed(ctx, true, DedupeKey(in))
}

// KeepDuplicate keeps a copy of a mail already received, raw, with why.
func (tx *Tx) KeepDuplicate(ctx context.Context, in *InboundMail, why string) (*IngestResult, error) {
	if _, err := tx.storeRawMail(ctx, in, MailDuplicate, "", 0, 0, why, 0); err != nil {
		return nil, err
	}
	return &IngestResult{Kind: MailDuplicate}, nil
}

// KeepAutoMail keeps an automatic mail (in.Auto says why) for admins; a
// bounce may mark mail of ours failed (keepAutoMail).
func (tx *Tx) KeepAutoMail(ctx context.Context, in *InboundMail) (*IngestResult, error) {
	return tx.keepAutoMail(ctx, in, DedupeKey(in))
}

// AnswersStaffMail says whether in answers a mail the portal sent to staff
// (a notice or a digest).
func (tx *Tx) AnswersStaffMail(ctx context.Context, in *InboundMail) (bool, error) {
	return tx.answersStaffMail(ctx, in)
}

// ThreadOf finds the report in answers (threadOf): its id, 0 when none,
// and weak when it was found by what the sender could forge or copy (the
// subject tag, the reporter's own Message-ID) rather than a Message-ID of
// mail we sent to the reporter.
func (tx *Tx) ThreadOf(ctx context.Context, in *InboundMail) (reportID int64, weak bool, err error) {
	th, err := tx.threadOf(ctx, in)
	return th.reportID, th.weak, err
}

// AddMailReply adds in to report reportID, where the gateway threaded it.
// weak says it was found by what its sender could forge or copy (the
// subject tag, the reporter's own Message-ID): it is then kept unverified
// for staff unless a key bound to the reporter signed the whole of it,
// naming the report (ingestReply).
func (tx *Tx) AddMailReply(ctx context.Context, in *InboundMail, reportID int64, weak bool) (*IngestResult, error) {
	return tx.ingestReply(ctx, in, DedupeKey(in), mailThread{reportID: reportID, weak: weak})
}

// ProgramAddresses looks up, in one statement, which of addrs are the
// address of a (not archived) program: byAddr[i] is the program of addrs[i]
// or 0. def is the default program.
func (tx *Tx) ProgramAddresses(ctx context.Context, addrs []string) (byAddr []int64, def int64, err error) {
	list, err := json.Marshal(addrs)
	if err != nil {
		return nil, 0, fmt.Errorf("db: program for address: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT j.key, p.id FROM json_each(?) j JOIN programs p ON p.email = j.value COLLATE NOCASE
			WHERE p.archived = 0 AND p.email <> '' AND j.value <> ''
		UNION ALL SELECT -1, id FROM programs WHERE is_default = 1`, string(list))
	if err != nil {
		return nil, 0, fmt.Errorf("db: program for address: %w", err)
	}
	defer rows.Close()
	byAddr = make([]int64, len(addrs))
	for rows.Next() {
		var i, id int64
		if err := rows.Scan(&i, &id); err != nil {
			return nil, 0, fmt.Errorf("db: program for address: %w", err)
		}
		if i < 0 {
			def = id
		} else if i < int64(len(byAddr)) && (byAddr[i] == 0 || id < byAddr[i]) {
			byAddr[i] = id
		}
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("db: program for address: %w", err)
	}
	if def == 0 {
		return nil, 0, fmt.Errorf("db: default program: %w", sql.ErrNoRows)
	}
	return byAddr, def, nil
}

// KeepAudience says the running job changes nobody's membership,
// notification preferences, account or webhooks (keepAudience): mail
// intake and the event worker say it, so a batch reads each program's
// audience once.
func (tx *Tx) KeepAudience() { tx.keepAudience() }

// CreateReportFromMail opens a report in program programID from in; its
// text is cut at maxTextRunes (0: no limit). Result.Contact is the reporter
// address it kept.
func (tx *Tx) CreateReportFromMail(ctx context.Context, in *InboundMail, programID int64, maxTextRunes int) (*IngestResult, error) {
	return tx.ingestReport(ctx, in, DedupeKey(in), programID, maxTextRunes)
}

// AdvanceMailboxes writes the mailbox position of the mails ins, taken in
// this transaction.
func (tx *Tx) AdvanceMailboxes(ctx context.Context, ins []*InboundMail) error {
	return tx.advanceMailboxes(ctx, ins)
}
