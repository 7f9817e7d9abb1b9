package db

import (
	"bytes"
	"context"
	"fmt"
	"io"
)

// sealRaw seals a raw message as one OpenPGP message; its ciphertext is then
// stored in chunks like plaintext. The message is read whole: intake already
// bounds its size.
func (db *DB) sealRaw(raw io.Reader) (io.Reader, error) {
	if raw == nil {
		return nil, nil
	}
	plain, err := io.ReadAll(raw)
	if err != nil {
		return nil, fmt.Errorf("db: read raw mail: %w", err)
	}
	sealed, err := db.sealBytes(plain)
	if err != nil {
		return nil, err
	}
	return bytes.NewReader(sealed), nil
}

// writeSealedRawMail joins the sealed chunks, opens them and writes the
// message; while locked it fails with ECONFLICT before writing anything.
func (db *DB) writeSealedRawMail(ctx context.Context, id int64, w io.Writer) error {
	if !db.Unlocked() {
		return Errorf(ECONFLICT, "This message is sealed; unlock the team key to read it.")
	}
	var sealed bytes.Buffer
	rows, err := db.read.QueryContext(ctx, `SELECT data FROM mail_raw_chunks WHERE raw_id = ? ORDER BY seq`, id)
	if err != nil {
		return fmt.Errorf("db: read raw mail chunks: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var data []byte
		if err := rows.Scan(&data); err != nil {
			return fmt.Errorf("db: read raw mail chunk: %w", err)
		}
		sealed.Write(data)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("db: read raw mail chunks: %w", err)
	}
	plain, err := db.openBytes(sealed.Bytes())
	if err != nil {
		return err
	}
	if _, err := w.Write(plain); err != nil {
		return fmt.Errorf("db: write raw mail: %w", err)
	}
	return nil
}

// openRawMail opens the sender and subject of a kept message.
func (db *DB) openRawMail(m *RawMail) {
	if m.Sealed {
		db.openTexts(&m.FromEmail, &m.Subject)
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
