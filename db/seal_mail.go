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
