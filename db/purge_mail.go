package db

import (
	"context"
	"fmt"
)

// disposedMailPurpose is the local key's purpose for mail_disposed.
const disposedMailPurpose = "disposed mail"

// disposeReportMail removes the kept raw mail of a report: what opened it,
// the replies, the bounces of mail sent about it, and the copies of those
// kept as duplicates (same Message-ID, other bytes). Each leaves keyed
// hashes in mail_disposed, so that intake knows it again (mail.go).
func (tx *Tx) disposeReportMail(ctx context.Context, reportID int64) (int64, error) {
	if tx.db.localKey == nil {
		return 0, fmt.Errorf("db: dispose of raw mail: no local key")
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, sha256, COALESCE(dedupe_key, ''), message_id FROM mail_raw WHERE report_id = ?1
		UNION SELECT id, sha256, COALESCE(dedupe_key, ''), message_id FROM mail_raw WHERE entry_id IN (SELECT id FROM messages WHERE report_id = ?1)
		UNION SELECT id, sha256, COALESCE(dedupe_key, ''), message_id FROM mail_raw WHERE kind = 'duplicate' AND message_id IN
			(SELECT message_id FROM mail_raw WHERE report_id = ?1 AND message_id <> '')`, reportID)
	if err != nil {
		return 0, fmt.Errorf("db: list raw mail of report: %w", err)
	}
	var ids []int64
	var keys [][]byte
	for rows.Next() {
		var id int64
		var sum, dedupe, msgID string
		if err := rows.Scan(&id, &sum, &dedupe, &msgID); err != nil {
			rows.Close()
			return 0, fmt.Errorf("db: scan raw mail: %w", err)
		}
		ids = append(ids, id)
		keys = append(keys, tx.db.disposedKey("raw", sum))
		for _, k := range []string{dedupe, msgID} {
			if k != "" {
				keys = append(keys, tx.db.disposedKey("id", k))
			}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("db: list raw mail of report: %w", err)
	}
	for _, k := range keys {
		if _, err := tx.ExecContext(ctx, `INSERT INTO mail_disposed (key) VALUES (?) ON CONFLICT DO NOTHING`, k); err != nil {
			return 0, fmt.Errorf("db: remember disposed mail: %w", err)
		}
	}
	for _, id := range ids {
		// The chunks go with the row (ON DELETE CASCADE).
		if _, err := tx.ExecContext(ctx, `DELETE FROM mail_raw WHERE id = ?`, id); err != nil {
			return 0, fmt.Errorf("db: delete raw mail: %w", err)
		}
	}
	return int64(len(ids)), nil
}

// disposedKey is the keyed hash mail_disposed keeps of one of a mail's
// identities: "raw" and its SHA-256 in hex, or "id" and its dedupe key.
func (db *DB) disposedKey(kind, value string) []byte {
	return db.localKey.Hash(disposedMailPurpose, []byte(kind+":"+value))
}

// mailDisposed reports whether retention removed a mail with these raw
// bytes (byID false) or this Message-ID (byID true).
func (tx *Tx) mailDisposed(ctx context.Context, byID bool, value string) (bool, error) {
	if value == "" || tx.db.localKey == nil {
		return false, nil
	}
	kind := "raw"
	if byID {
		kind = "id"
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM mail_disposed WHERE key = ?`, tx.db.disposedKey(kind, value)).Scan(&n); err != nil {
		return false, fmt.Errorf("db: look up disposed mail: %w", err)
	}
	return n > 0, nil
}
