package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// keepAutoMail keeps an automatic mail for admins; a bounce of a mail the
// portal sent marks that outbox row failed.
func (tx *Tx) keepAutoMail(ctx context.Context, in *InboundMail, key string) (*IngestResult, error) {
	kind := MailAutoReply
	if in.Bounce {
		kind = MailBounce
	}
	var reportID int64
	if kind == MailBounce {
		for _, id := range in.BouncedIDs {
			var rid sql.NullInt64
			err := tx.QueryRowContext(ctx, `UPDATE outbox SET status = 'failed', last_error = ? WHERE message_id = ? RETURNING report_id`,
				"bounced: "+cutRunes(in.Auto, 200), id).Scan(&rid)
			if errors.Is(err, sql.ErrNoRows) {
				continue
			} else if err != nil {
				return nil, fmt.Errorf("db: mark bounced mail: %w", err)
			}
			if rid.Valid {
				reportID = rid.Int64
			}
			if err := tx.audit(ctx, ActorSystem, "mail.bounced", id, ""); err != nil {
				return nil, err
			}
		}
	}
	if _, err := tx.storeRawMail(ctx, in, kind, key, reportID, 0, in.Auto, 0); err != nil {
		if strings.Contains(err.Error(), "UNIQUE constraint failed: mail_raw.dedupe_key") {
			if _, err := tx.storeRawMail(ctx, in, MailDuplicate, "", reportID, 0, in.Auto, 0); err != nil {
				return nil, err
			}
			return &IngestResult{Kind: MailDuplicate, ReportID: reportID}, nil
		}
		return nil, err
	}
	return &IngestResult{Kind: kind, ReportID: reportID}, nil
}
