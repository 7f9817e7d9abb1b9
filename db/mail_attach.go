package db

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
)

// SpooledFile is a file whose bytes were kept out of memory (in a spool,
// db/spool) until it is stored: a mailed attachment or an uploaded file of
// 25 MB is then read and written in chunks of rawChunkSize, never held whole.
type SpooledFile struct {
	Size   int64
	SHA256 string // hex, of the bytes Open reads
	// Open reads the bytes from their start; it may be called again (a
	// group retried message by message).
	Open func() io.Reader
}

// SpooledAttachment is a file whose bytes wait in a spool (an upload, see
// handlers): it is stored like a spooled mailed file, streamed into chunks
// (sealed as it streams in sealed mode), never held whole.
func SpooledAttachment(filename, contentType string, f *SpooledFile) NewAttachment {
	return NewAttachment{Filename: filename, ContentType: contentType, spooled: f}
}

// Size is the number of bytes of a, in memory or spooled.
func (a *NewAttachment) Size() int64 {
	if a.spooled != nil {
		return a.spooled.Size
	}
	return int64(len(a.Data))
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
// instead: every file of a mail with a spooled one goes that way, in order,
// each streamed from the spool into its chunks (sealed as it streams in
// sealed mode), never read whole.
func (tx *Tx) mailFiles(in *InboundMail) ([]NewAttachment, bool, error) {
	if !in.hasSpooled() {
		return in.Files, false, nil
	}
	return nil, true, nil
}

// addMailFiles stores the files of a mail on its timeline entry, in order:
// a file in memory as one row (in chunks when sealed), a spooled one in
// chunks (attachment_chunks, migration 0011) with an empty attachment_data
// row. In sealed mode they share one session key.
func (tx *Tx) addMailFiles(ctx context.Context, entryID int64, in *InboundMail) error {
	return tx.addFiles(ctx, entryID, in, tx.db.sealOn, nil)
}

// addFiles stores the files of in on entry entryID, sealed when seal; skip,
// when set, leaves out the files it returns true for.
func (tx *Tx) addFiles(ctx context.Context, entryID int64, in *InboundMail, seal bool, skip func(a *NewAttachment) (bool, error)) error {
	now := formatTime(tx.now)
	var s *sealSession
	if seal && len(in.Files) > 1 {
		var err error
		if s, err = tx.db.newSealSession(); err != nil {
			return err
		}
		defer s.close()
	}
	for i := range in.Files {
		a := in.Files[i]
		if i < len(in.Spooled) && in.Spooled[i] != nil {
			a.spooled = in.Spooled[i]
		}
		if skip != nil {
			if skipped, err := skip(&a); err != nil {
				return err
			} else if skipped {
				continue
			}
		}
		if err := tx.addAttachment(ctx, entryID, &a, now, seal, s); err != nil {
			return err
		}
	}
	return nil
}

// digest is the size and SHA-256 (hex) of a's bytes.
func (a *NewAttachment) digest() (int64, string) {
	if a.spooled != nil {
		return a.spooled.Size, a.spooled.SHA256
	}
	return int64(len(a.Data)), sha256Hex(a.Data)
}

// open reads a's bytes from their start.
func (a *NewAttachment) open() io.Reader {
	if a.spooled != nil {
		return a.spooled.Open()
	}
	return bytes.NewReader(a.Data)
}

// addAttachment stores file a on entry messageID. Unsealed, a file in
// memory is one attachment_data row and a spooled one is streamed into
// chunks; sealed, either is sealed as it streams into chunks (in session s
// when not nil), one OpenPGP message whose plaintext size and SHA-256 the
// listing keeps (they identify a file only to someone who has it).
func (tx *Tx) addAttachment(ctx context.Context, messageID int64, a *NewAttachment, now string, seal bool, s *sealSession) error {
	ct := a.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	size, sum := a.digest()
	res, err := tx.ExecContext(ctx, `INSERT INTO attachments (message_id, filename, content_type, size, sha256, sealed, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		messageID, SafeFilename(a.Filename), ct, size, sum, seal, now)
	if err != nil {
		return fmt.Errorf("db: insert attachment: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("db: attachment id: %w", err)
	}
	data := []byte{} // an empty BLOB (nil binds as NULL): the bytes are in chunks, or the file is empty
	if !seal && a.spooled == nil {
		data = a.Data
		if data == nil {
			data = []byte{}
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO attachment_data (attachment_id, data) VALUES (?, ?)`, id, data); err != nil {
		return fmt.Errorf("db: insert attachment data: %w", err)
	}
	var n int64
	var got string
	switch {
	case seal:
		if n, got, err = tx.sealedStream(ctx, s, attachmentChunkRows, id, 0, a.open()); err != nil {
			return err
		}
	case a.spooled != nil:
		h := sha256.New()
		cw := tx.chunkWriter(ctx, attachmentChunkRows, id, 0)
		if n, err = io.Copy(cw, io.TeeReader(a.open(), h)); err != nil {
			return fmt.Errorf("db: store spooled attachment: %w", err)
		}
		if err := cw.Close(); err != nil {
			return err
		}
		got = hex.EncodeToString(h.Sum(nil))
	default:
		return nil
	}
	// The spool is the gateway's temporary file: check that what was
	// stored is what was parsed, so a damaged spool fails the mail (it is
	// retried, and its raw message kept) instead of storing other bytes.
	if n != size || got != sum {
		return fmt.Errorf("db: attachment changed while stored: %d bytes stored of %d", n, size)
	}
	return nil
}

// addPendingFiles stores the files of a mail decrypted after intake (it came
// while the team key was locked) on its entry, but not those stored at
// intake already (the parts that came unencrypted), streaming each as
// intake does, sealed when seal.
func (tx *Tx) addPendingFiles(ctx context.Context, entryID int64, in *InboundMail, seal bool) error {
	return tx.addFiles(ctx, entryID, in, seal, func(a *NewAttachment) (bool, error) {
		_, sum := a.digest()
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM attachments WHERE message_id = ? AND filename = ? AND sha256 = ?`,
			entryID, SafeFilename(a.Filename), sum).Scan(&n); err != nil {
			return false, fmt.Errorf("db: look up attachment: %w", err)
		}
		return n > 0, nil
	})
}
