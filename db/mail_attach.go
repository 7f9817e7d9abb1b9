package db

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
)

// SpooledFile is a mailed attachment whose bytes the mail gateway kept out
// of memory (in its spool) until the mail is stored: a 25 MB attachment is
// then read and written in chunks of rawChunkSize, never held whole.
type SpooledFile struct {
	Size   int64
	SHA256 string // hex, of the bytes Open reads
	// Open reads the bytes from their start; it may be called again (a
	// group retried message by message).
	Open func() io.Reader
}

// hasSpooled says whether some file of the mail waits in the spool.
func (in *InboundMail) hasSpooled() bool {
	for _, s := range in.Spooled {
		if s != nil {
			return true
		}
	}
	return false
}

// mailFiles returns the files to store with the mail's entry through the
// common path, and whether addMailFiles must store them after the entry
// instead. Sealing needs a file whole, so in sealed mode spooled files are
// read into memory here; otherwise every file of such a mail goes through
// addMailFiles, in order.
func (tx *Tx) mailFiles(in *InboundMail) ([]NewAttachment, bool, error) {
	if !in.hasSpooled() {
		return in.Files, false, nil
	}
	if !tx.db.sealOn {
		return nil, true, nil
	}
	files := make([]NewAttachment, len(in.Files))
	copy(files, in.Files)
	for i, s := range in.Spooled {
		if s == nil {
			continue
		}
		data, err := io.ReadAll(s.Open())
		if err != nil {
			return nil, false, fmt.Errorf("db: read spooled attachment: %w", err)
		}
		files[i].Data = data
	}
	return files, false, nil
}

// addMailFiles stores the files of a mail on its timeline entry, in order:
// a file in memory as one row, a spooled one in chunks (attachment_chunks,
// migration 0011) with an empty attachment_data row.
func (tx *Tx) addMailFiles(ctx context.Context, entryID int64, in *InboundMail) error {
	now := formatTime(tx.now)
	for i := range in.Files {
		var s *SpooledFile
		if i < len(in.Spooled) {
			s = in.Spooled[i]
		}
		if s == nil {
			if err := tx.addAttachment(ctx, entryID, &in.Files[i], now); err != nil {
				return err
			}
			continue
		}
		if err := tx.addSpooledAttachment(ctx, entryID, &in.Files[i], s, now); err != nil {
			return err
		}
	}
	return nil
}

func (tx *Tx) addSpooledAttachment(ctx context.Context, entryID int64, a *NewAttachment, s *SpooledFile, now string) error {
	ct := a.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO attachments (message_id, filename, content_type, size, sha256, sealed, created_at) VALUES (?, ?, ?, ?, ?, 0, ?)`,
		entryID, SafeFilename(a.Filename), ct, s.Size, s.SHA256, now)
	if err != nil {
		return fmt.Errorf("db: insert attachment: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("db: attachment id: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO attachment_data (attachment_id, data) VALUES (?, X'')`, id); err != nil {
		return fmt.Errorf("db: insert attachment data: %w", err)
	}
	h := sha256.New()
	r := io.TeeReader(s.Open(), h)
	buf := make([]byte, rawChunkSize)
	var n int64
	for seq := 0; ; seq++ {
		m, rerr := io.ReadFull(r, buf)
		if m > 0 {
			if _, err := tx.ExecContext(ctx, `INSERT INTO attachment_chunks (attachment_id, seq, data) VALUES (?, ?, ?)`, id, seq, buf[:m]); err != nil {
				return fmt.Errorf("db: insert attachment chunk: %w", err)
			}
			n += int64(m)
		}
		if errors.Is(rerr, io.EOF) || errors.Is(rerr, io.ErrUnexpectedEOF) {
			break
		} else if rerr != nil {
			return fmt.Errorf("db: read spooled attachment: %w", rerr)
		}
	}
	// The spool is the gateway's temporary file: check that what was
	// stored is what was parsed, so a damaged spool fails the mail (it is
	// retried, and its raw message kept) instead of storing other bytes.
	if n != s.Size || hex.EncodeToString(h.Sum(nil)) != s.SHA256 {
		return fmt.Errorf("db: spooled attachment changed: %d bytes stored of %d", n, s.Size)
	}
	return nil
}

// addPendingFiles stores the files of a mail decrypted after intake (it came
// while the team key was locked) on its entry, but not those stored at
// intake already (the parts that came unencrypted): a spooled one in
// chunks, as intake stores it, unless seal wants it whole.
func (tx *Tx) addPendingFiles(ctx context.Context, entryID int64, in *InboundMail, seal bool) error {
	now := formatTime(tx.now)
	for i := range in.Files {
		a := &in.Files[i]
		var s *SpooledFile
		if i < len(in.Spooled) {
			s = in.Spooled[i]
		}
		sum := sha256Hex(a.Data)
		if s != nil {
			sum = s.SHA256
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM attachments WHERE message_id = ? AND filename = ? AND sha256 = ?`,
			entryID, SafeFilename(a.Filename), sum).Scan(&n); err != nil {
			return fmt.Errorf("db: look up attachment: %w", err)
		}
		if n > 0 {
			continue
		}
		if s != nil && !seal {
			if err := tx.addSpooledAttachment(ctx, entryID, a, s, now); err != nil {
				return err
			}
			continue
		}
		if s != nil {
			data, err := io.ReadAll(s.Open())
			if err != nil {
				return fmt.Errorf("db: read spooled attachment: %w", err)
			}
			a.Data = data
		}
		if seal {
			if err := tx.db.sealAttachment(a); err != nil {
				return err
			}
		}
		if err := tx.addAttachment(ctx, entryID, a, now); err != nil {
			return err
		}
	}
	return nil
}

// attachmentChunks joins the chunks of a chunked attachment (an empty
// attachment_data row); it returns nil for an attachment that has none,
// so that callers can use it on any empty attachment_data row. size, the
// attachment's recorded size, sizes the result once.
func attachmentChunks(ctx context.Context, q queryer, id, size int64) ([]byte, error) {
	rows, err := q.QueryContext(ctx, `SELECT data FROM attachment_chunks WHERE attachment_id = ? ORDER BY seq`, id)
	if err != nil {
		return nil, fmt.Errorf("db: read attachment chunks: %w", err)
	}
	defer rows.Close()
	out := make([]byte, 0, max(size, 0))
	for rows.Next() {
		var b sql.RawBytes
		if err := rows.Scan(&b); err != nil {
			return nil, fmt.Errorf("db: read attachment chunk: %w", err)
		}
		out = append(out, b...)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("db: read attachment chunks: %w", err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}
