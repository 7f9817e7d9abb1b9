package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// bounceWindow is how long after it was sent a mail of ours may still be
// marked failed by a bounce: mail servers give up on a message after five
// days of retries (Postfix, Exim and Sendmail alike), and their report comes
// then; a week covers that and a slow return path.
const bounceWindow = 7 * 24 * time.Hour

// keepAutoMail keeps an automatic mail for admins. A bounce of a mail the
// portal sent marks that outbox row failed, but only when it is a delivery
// report a mail server would send (InboundMail.DSN) and the mail it names is
// still pending or was sent within bounceWindow: anyone can write "Return-
// Path: <>" or attach a copy of a mail they received, and a forged bounce
// must not rewrite the history of mail long delivered. A bounce that does
// not qualify is kept with the reason, and marks nothing.
//
// Either way the mail is filed on the report it is about (autoMailReport),
// so that retention disposes of it with the report: a bounce quotes our
// mail and names the reporter's address, an out-of-office holds her name
// and words.
func (tx *Tx) keepAutoMail(ctx context.Context, in *InboundMail, key string) (*IngestResult, error) {
	kind := MailAutoReply
	if in.Bounce {
		kind = MailBounce
	}
	var reportID int64
	note := in.Auto
	if kind == MailBounce && len(in.BouncedIDs) > 0 {
		if !in.DSN {
			note += "; it names mail of ours but is not a delivery report from a mail server, so nothing was marked failed"
		} else {
			var stale int
			for _, id := range in.BouncedIDs {
				rid, found, marked, err := tx.markBounced(ctx, id, in.Auto)
				if err != nil {
					return nil, err
				}
				if marked && rid != 0 {
					reportID = rid
				} else if found && !marked {
					stale++
				}
			}
			if stale > 0 {
				note += fmt.Sprintf("; it names mail of ours sent more than %d days ago or already failed, which was left as it was", int(bounceWindow.Hours()/24))
			}
		}
	}
	if reportID == 0 {
		var err error
		if reportID, err = tx.autoMailReport(ctx, in); err != nil {
			return nil, err
		}
	}
	if _, err := tx.storeRawMail(ctx, in, kind, key, reportID, 0, note, 0); err != nil {
		if dup, qerr := tx.dedupeTaken(ctx, err, key); qerr != nil {
			return nil, qerr
		} else if dup {
			if _, err := tx.storeRawMail(ctx, in, MailDuplicate, "", reportID, 0, note, 0); err != nil {
				return nil, err
			}
			return &IngestResult{Kind: MailDuplicate, ReportID: reportID}, nil
		}
		return nil, err
	}
	return &IngestResult{Kind: kind, ReportID: reportID}, nil
}

// markBounced marks the outbox mail with Message-ID id failed when it is
// pending or was sent within bounceWindow. It returns the mail's report (0
// for none), whether there is such a mail and whether it was marked.
func (tx *Tx) markBounced(ctx context.Context, id, reason string) (reportID int64, found, marked bool, err error) {
	var rid sql.NullInt64
	err = tx.QueryRowContext(ctx, `UPDATE outbox SET status = 'failed', last_error = ?
		WHERE message_id = ? AND (status = 'pending' OR (status = 'sent' AND sent_at > ?)) RETURNING report_id`,
		"bounced: "+cutRunes(reason, 200), id, formatTime(tx.now.Add(-bounceWindow))).Scan(&rid)
	if errors.Is(err, sql.ErrNoRows) {
		// Not marked: say whether it names a mail of ours at all.
		err = tx.QueryRowContext(ctx, `SELECT report_id FROM outbox WHERE message_id = ?`, id).Scan(&rid)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, false, false, nil
		} else if err != nil {
			return 0, false, false, fmt.Errorf("db: look up bounced mail: %w", err)
		}
		return rid.Int64, true, false, nil
	} else if err != nil {
		return 0, false, false, fmt.Errorf("db: mark bounced mail: %w", err)
	}
	if err := tx.audit(ctx, ActorSystem, "mail.bounced", id, ""); err != nil {
		return 0, false, false, err
	}
	return rid.Int64, true, true, nil
}

// autoMailReport is the report an automatic mail is about, for filing only
// (retention finds it there; nothing is trusted or shown to the reporter
// because of it): the report of a mail of ours it names (the original a
// bounce quotes, or In-Reply-To and References: notices to staff count
// too), else of a mail received on a report it names, else the report
// whose [PREFIX-N] tag its subject carries when it comes from that
// report's reporter (an out-of-office without references). 0 when none.
func (tx *Tx) autoMailReport(ctx context.Context, in *InboundMail) (int64, error) {
	ids := append(append(append([]string(nil), in.BouncedIDs...), in.InReplyTo...), reversed(in.References)...)
	if len(ids) > 0 {
		list, err := json.Marshal(ids)
		if err != nil {
			return 0, fmt.Errorf("db: file automatic mail: %w", err)
		}
		for _, q := range []string{
			`SELECT o.report_id FROM json_each(?) j JOIN outbox o ON o.message_id = j.value WHERE o.report_id IS NOT NULL ORDER BY j.key LIMIT 1`,
			`SELECT m.report_id FROM json_each(?) j JOIN messages m ON m.message_id = j.value ORDER BY j.key LIMIT 1`,
		} {
			var reportID int64
			err := tx.QueryRowContext(ctx, q, string(list)).Scan(&reportID)
			if err == nil {
				return reportID, nil
			} else if !errors.Is(err, sql.ErrNoRows) {
				return 0, fmt.Errorf("db: file automatic mail: %w", err)
			}
		}
	}
	th, err := tx.threadOf(ctx, &InboundMail{FromEmail: in.FromEmail, Subject: in.Subject})
	if err != nil {
		return 0, err
	}
	return th.reportID, nil
}

// dedupeTaken says whether err, from storing a raw mail under key, is
// SQLite refusing the key because another mail holds it. The raw hash is
// unique too, so the key is looked up rather than read from the error's
// text.
func (tx *Tx) dedupeTaken(ctx context.Context, err error, key string) (bool, error) {
	if key == "" || !isUnique(err) {
		return false, nil
	}
	var n int
	if qerr := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM mail_raw WHERE dedupe_key = ?`, key).Scan(&n); qerr != nil {
		return false, fmt.Errorf("db: look up dedupe key: %w", qerr)
	}
	return n > 0, nil
}
