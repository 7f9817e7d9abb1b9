package db

import (
	"context"
	"fmt"
	"io"
)

// writeSealedRawMail opens the sealed message as it streams from its
// chunks and writes it to w; while locked it fails with ECONFLICT before
// writing anything. A damaged message fails at the latest at its end, its
// integrity check, after the bytes before were written.
func (db *DB) writeSealedRawMail(ctx context.Context, id int64, w io.Writer) error {
	if !db.Unlocked() {
		return Errorf(ECONFLICT, "This message is sealed; unlock the team key to read it.")
	}
	var chunks int
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM mail_raw_chunks WHERE raw_id = ? AND seq = 0`, id).Scan(&chunks); err != nil {
		return fmt.Errorf("db: read raw mail: %w", err)
	}
	if chunks == 0 {
		return nil // nothing was kept of it (an empty message)
	}
	plain, err := db.openStream(newChunkReader(ctx, db.read, rawMailChunkRows, id))
	if err != nil {
		return err
	}
	defer plain.Close()
	if _, err := io.Copy(w, plain); err != nil {
		return fmt.Errorf("db: write raw mail: %w", err)
	}
	return nil
}

// openRawMail opens the sender, subject and note of a kept message.
func (db *DB) openRawMail(m *RawMail) {
	switch {
	case m.Sealed && m.noteSealed:
		db.openTexts(&m.FromEmail, &m.Subject, &m.Note)
	case m.Sealed:
		db.openTexts(&m.FromEmail, &m.Subject)
	case m.noteSealed:
		m.Note, _ = db.openText(m.Note)
	}
}

// mailNeedsNoKey is the claim condition while the team key is locked: the
// mail is stored clear, is not encrypted to a reporter key stored sealed,
// and carries no sealed file. It is a fixed string, never input.
const mailNeedsNoKey = `sealed = 0
	AND NOT (encrypt = 1 AND EXISTS (SELECT 1 FROM reports r JOIN reporters rp ON rp.id = r.reporter_id
		WHERE r.id = outbox.report_id AND rp.sealed = 1))
	AND NOT EXISTS (SELECT 1 FROM outbox_attachments oa JOIN attachments a ON a.id = oa.attachment_id
		WHERE oa.outbox_id = outbox.id AND a.sealed = 1)`

// openMail opens what of m is stored sealed: recipient, subject and body,
// and the reporter's key. It reports whether all of it opened; while
// locked, what could not be opened reads SealedText.
func (db *DB) openMail(m *Mail) bool {
	ok := true
	if m.Sealed {
		ok = db.openTexts(&m.To, &m.Subject, &m.Body)
	}
	if m.keySealed && m.RecipientKey != "" {
		var one bool
		m.RecipientKey, one = db.openText(m.RecipientKey)
		ok = ok && one
	}
	return ok
}
