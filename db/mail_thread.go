package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// refTag finds a reference like [ACME-12] in a subject.
var refTag = regexp.MustCompile(`\[([A-Z][A-Z0-9]{1,11})-([0-9]{1,12})\]`)

// threadOf finds the report a mail answers: first by its In-Reply-To and
// References against Message-IDs the portal sent to reporters or received,
// then by a [PREFIX-N] subject tag, but only from that report's reporter.
// Reply-To is never consulted: anyone can set it.
//
// Mail to staff (notices and digests: a user_id, or a staff.* kind once the
// user is gone) never threads: a triager who answers a notice from their
// mailbox must not have their words filed as the reporter's, shown on the
// reporter's status page (answersStaffMail keeps such mail aside first).
func (tx *Tx) threadOf(ctx context.Context, in *InboundMail) (int64, error) {
	ids := append(append([]string(nil), in.InReplyTo...), reversed(in.References)...)
	for _, id := range ids {
		if id == "" {
			continue
		}
		var reportID int64
		err := tx.QueryRowContext(ctx, `SELECT report_id FROM outbox WHERE message_id = ? AND report_id IS NOT NULL
			AND user_id IS NULL AND kind NOT LIKE 'staff.%'
			UNION ALL SELECT report_id FROM messages WHERE message_id = ? LIMIT 1`, id, id).Scan(&reportID)
		if err == nil {
			return reportID, nil
		} else if !errors.Is(err, sql.ErrNoRows) {
			return 0, fmt.Errorf("db: thread by message id: %w", err)
		}
	}
	if in.FromEmail == "" {
		return 0, nil
	}
	for _, m := range refTag.FindAllStringSubmatch(in.Subject, 3) {
		n, _ := strconv.ParseInt(m[2], 10, 64)
		var reportID int64
		var reporterEmail string
		var sealed bool
		err := tx.QueryRowContext(ctx, `SELECT r.id, COALESCE(rp.email, ''), COALESCE(rp.sealed, 0) FROM reports r JOIN programs p ON p.id = r.program_id
			LEFT JOIN reporters rp ON rp.id = r.reporter_id WHERE p.prefix = ? AND r.number = ?`, m[1], n).Scan(&reportID, &reporterEmail, &sealed)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		} else if err != nil {
			return 0, fmt.Errorf("db: thread by subject tag: %w", err)
		}
		if sealed {
			// A sealed address is compared only while the key is unlocked;
			// while locked, replies thread by In-Reply-To/References alone.
			var ok bool
			if reporterEmail, ok = tx.db.openText(reporterEmail); !ok {
				continue
			}
		}
		if reporterEmail != "" && strings.EqualFold(reporterEmail, in.FromEmail) {
			return reportID, nil
		}
	}
	return 0, nil
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
