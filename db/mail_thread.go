package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
)

// refTag finds a reference like [ACME-12] in a subject.
var refTag = regexp.MustCompile(`\[([A-Z][A-Z0-9]{1,11})-([0-9]{1,12})\]`)

// mailThread is the report a mail answers and how it was found.
type mailThread struct {
	reportID int64
	// weak says the mail was found by something its sender could forge or
	// copy: its [PREFIX-N] subject tag from the reporter's address
	// (references are sequential, From is whatever the sender writes), or a
	// Message-ID of mail we received on the report (the reporter's own: her
	// mail program made it, and every Cc and list archive saw it). Such a
	// mail is kept unverified for staff unless a key bound to the reporter
	// signed the whole of it, naming the report (signedForReport).
	weak bool
}

// threadOf finds the report a mail answers: first by its In-Reply-To and
// References against Message-IDs the portal sent to reporters; then against
// Message-IDs of mail received on a report (weak; not those of unverified
// mail, or a forged mail's own Message-ID would thread the next forgery);
// then by a [PREFIX-N] subject tag, but only from that report's reporter
// (weak). A Message-ID of ours has 160 random bits and reaches only the
// reporter's mailbox, so a mail that names one comes from someone who read
// our mail; the reporter's own Message-ID, a tag and a From address prove
// nothing. Reply-To is never consulted: anyone can set it.
//
// A sealed reporter address is compared by its keyed hash, so tags thread
// while the team key is locked too; a sealed row written before the hash
// existed (migration 0015) is compared only while the key is unlocked.
//
// Mail to staff (notices and digests: a user_id, or a staff.* kind once the
// user is gone) never threads: a triager who answers a notice from their
// mailbox must not have their words filed as the reporter's, shown on the
// reporter's status page (answersStaffMail keeps such mail aside first).
func (tx *Tx) threadOf(ctx context.Context, in *InboundMail) (mailThread, error) {
	ids := append(append([]string(nil), in.InReplyTo...), reversed(in.References)...)
	if len(ids) > 0 {
		list, err := json.Marshal(ids)
		if err != nil {
			return mailThread{}, fmt.Errorf("db: thread by message id: %w", err)
		}
		for _, q := range []struct {
			weak bool
			sql  string
		}{
			{false, `SELECT o.report_id FROM json_each(?) j JOIN outbox o ON o.message_id = j.value
				WHERE j.value <> '' AND o.report_id IS NOT NULL AND o.user_id IS NULL AND o.kind NOT LIKE 'staff.%' ORDER BY j.key LIMIT 1`},
			{true, `SELECT m.report_id FROM json_each(?) j JOIN messages m ON m.message_id = j.value
				WHERE j.value <> '' AND m.unverified = 0 ORDER BY j.key LIMIT 1`},
		} {
			var reportID int64
			err := tx.QueryRowContext(ctx, q.sql, string(list)).Scan(&reportID)
			if err == nil {
				return mailThread{reportID: reportID, weak: q.weak}, nil
			} else if !errors.Is(err, sql.ErrNoRows) {
				return mailThread{}, fmt.Errorf("db: thread by message id: %w", err)
			}
		}
	}
	if in.FromEmail == "" {
		return mailThread{}, nil
	}
	for _, m := range refTag.FindAllStringSubmatch(in.Subject, 3) {
		n, _ := strconv.ParseInt(m[2], 10, 64)
		var reportID int64
		var email string
		var sealed bool
		var hash []byte
		err := tx.QueryRowContext(ctx, `SELECT r.id, COALESCE(rp.email, ''), COALESCE(rp.sealed, 0), rp.email_hash
			FROM reports r JOIN programs p ON p.id = r.program_id
			LEFT JOIN reporters rp ON rp.id = r.reporter_id WHERE p.prefix = ? AND r.number = ?`, m[1], n).Scan(&reportID, &email, &sealed, &hash)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		} else if err != nil {
			return mailThread{}, fmt.Errorf("db: thread by subject tag: %w", err)
		}
		if same, _ := tx.db.sameAddress(in.FromEmail, email, sealed, hash); same {
			return mailThread{reportID: reportID, weak: true}, nil
		}
	}
	return mailThread{}, nil
}

// answersStaffMail says whether a mail answers one the portal sent to staff
// (a notice or a digest). Such a mail is neither a report nor a reply: it is
// a triager answering from their mailbox, or their out-of-office, which
// would otherwise open a report, notify staff again and be answered again.
func (tx *Tx) answersStaffMail(ctx context.Context, in *InboundMail) (bool, error) {
	for _, id := range append(append([]string(nil), in.InReplyTo...), in.References...) {
		if id == "" {
			continue
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox WHERE message_id = ?
			AND (user_id IS NOT NULL OR kind LIKE 'staff.%' OR kind = 'digest')`, id).Scan(&n); err != nil {
			return false, fmt.Errorf("db: look up staff mail: %w", err)
		}
		if n > 0 {
			return true, nil
		}
	}
	return false, nil
}

func reversed(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[len(s)-1-i] = v
	}
	return out
}
