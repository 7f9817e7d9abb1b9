package db

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
)

// Large values (a mailed attachment over 1 MB, every sealed attachment, raw
// mail) are stored as a stream of rows of at most rawChunkSize bytes, so
// that no write or read of one holds it whole: a sealed one is a single
// OpenPGP message cut into chunks, sealed or opened as it streams, and the
// chunks joined in order are that message, as gpg --decrypt reads it.

// chunkTable is a table of chunks: its name and the column naming whose
// chunks they are. Both are fixed strings, never input.
type chunkTable struct{ table, owner string }

var (
	attachmentChunkRows = chunkTable{"attachment_chunks", "attachment_id"}
	rawMailChunkRows    = chunkTable{"mail_raw_chunks", "raw_id"}
)

// chunkWriter writes what it is given as chunks of one value, numbered from
// seq; Close writes the last one.
type chunkWriter struct {
	ctx context.Context
	tx  *Tx
	t   chunkTable
	id  int64
	seq int
	buf []byte
}

func (tx *Tx) chunkWriter(ctx context.Context, t chunkTable, id int64, seq int) *chunkWriter {
	return &chunkWriter{ctx: ctx, tx: tx, t: t, id: id, seq: seq, buf: make([]byte, 0, rawChunkSize)}
}

func (w *chunkWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		k := copy(w.buf[len(w.buf):cap(w.buf)], p)
		w.buf, p, n = w.buf[:len(w.buf)+k], p[k:], n+k
		if len(w.buf) == cap(w.buf) {
			if err := w.flush(); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

func (w *chunkWriter) flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	// The driver copies the bytes it binds, so buf is written again.
	if _, err := w.tx.ExecContext(w.ctx, `INSERT INTO `+w.t.table+` (`+w.t.owner+`, seq, data) VALUES (?, ?, ?)`, w.id, w.seq, w.buf); err != nil {
		return fmt.Errorf("db: insert %s: %w", w.t.table, err)
	}
	w.seq++
	w.buf = w.buf[:0]
	return nil
}

// Close writes what is left.
func (w *chunkWriter) Close() error { return w.flush() }

// rowQueryer reads one row; *sql.DB and *Tx both do.
type rowQueryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// chunkReader reads the chunks of one value in order, one query per chunk,
// so that a slow reader (a download) holds no read transaction open
// between chunks and at most one chunk in memory.
type chunkReader struct {
	ctx   context.Context
	q     rowQueryer
	t     chunkTable
	id    int64
	seq   int
	until int // read no chunk from this seq on (0: to the last)
	cur   []byte
	done  bool
}

func newChunkReader(ctx context.Context, q rowQueryer, t chunkTable, id int64) *chunkReader {
	return &chunkReader{ctx: ctx, q: q, t: t, id: id}
}

func (r *chunkReader) Read(p []byte) (int, error) {
	for len(r.cur) == 0 {
		if r.done || (r.until > 0 && r.seq >= r.until) {
			return 0, io.EOF
		}
		var data []byte
		err := r.q.QueryRowContext(r.ctx, `SELECT data FROM `+r.t.table+` WHERE `+r.t.owner+` = ? AND seq = ?`, r.id, r.seq).Scan(&data)
		if errors.Is(err, sql.ErrNoRows) {
			r.done = true
			continue
		} else if err != nil {
			return 0, fmt.Errorf("db: read %s: %w", r.t.table, err)
		}
		r.seq++
		r.cur = data
	}
	n := copy(p, r.cur)
	r.cur = r.cur[n:]
	return n, nil
}

// sealedStream writes the plaintext read from src sealed (in session s, or
// alone when s has no streams) as chunks of id, and returns how many
// plaintext bytes it read with their SHA-256 (hex).
func (tx *Tx) sealedStream(ctx context.Context, s *sealSession, t chunkTable, id int64, seq int, src io.Reader) (int64, string, error) {
	cw := tx.chunkWriter(ctx, t, id, seq)
	enc, err := s.to(tx.db, cw)
	if err != nil {
		return 0, "", err
	}
	h := sha256.New()
	n, err := io.Copy(enc, io.TeeReader(src, h))
	if err != nil {
		return 0, "", fmt.Errorf("db: seal into %s: %w", t.table, err)
	}
	if err := enc.Close(); err != nil {
		return 0, "", fmt.Errorf("db: seal into %s: %w", t.table, err)
	}
	if err := cw.Close(); err != nil {
		return 0, "", err
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// openStream opens a sealed value read from src as a stream; while locked
// it fails with ECONFLICT. Read it to its end or close it.
func (db *DB) openStream(src io.Reader) (io.ReadCloser, error) {
	if !db.Unlocked() {
		return nil, Errorf(ECONFLICT, "This content is sealed; unlock the team key to read it.")
	}
	r, err := db.sealer.OpenFrom(src)
	if err != nil {
		if !db.Unlocked() { // locked meanwhile
			return nil, Errorf(ECONFLICT, "This content is sealed; unlock the team key to read it.")
		}
		return nil, fmt.Errorf("db: open sealed value: %w", err)
	}
	return r, nil
}

// checkedReader reads a stored file and checks at its end that it is the
// size and SHA-256 the listing shows: a file cut short (deleted while it is
// read) or changed in the database fails the read instead of ending early.
type checkedReader struct {
	r    io.Reader
	c    io.Closer // the opened stream, or nil
	h    hash.Hash
	n    int64
	size int64
	sum  string
}

func newCheckedReader(r io.Reader, c io.Closer, size int64, sum string) *checkedReader {
	return &checkedReader{r: r, c: c, h: sha256.New(), size: size, sum: sum}
}

func (r *checkedReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.h.Write(p[:n])
	r.n += int64(n)
	if r.n > r.size {
		return n, fmt.Errorf("db: stored file is longer than its %d bytes", r.size)
	}
	if errors.Is(err, io.EOF) && (r.n != r.size || hex.EncodeToString(r.h.Sum(nil)) != r.sum) {
		return n, fmt.Errorf("db: stored file does not match its size and SHA-256 (%d of %d bytes)", r.n, r.size)
	}
	return n, err
}

func (r *checkedReader) Close() error {
	if r.c != nil {
		return r.c.Close()
	}
	return nil
}

// storedAttachment reads the bytes attachment_data keeps for attachment id:
// data itself, or when it is empty the attachment's chunks (a large mailed
// file, or any sealed one).
func storedAttachment(ctx context.Context, q rowQueryer, id int64, data []byte) io.Reader {
	if len(data) > 0 {
		return bytes.NewReader(data)
	}
	return newChunkReader(ctx, q, attachmentChunkRows, id)
}

// attachmentReader reads the plaintext of attachment a from what is stored
// (data, or its chunks), opening it as it streams when it is sealed; the
// end of the stream checks a's size and SHA-256.
func (db *DB) attachmentReader(ctx context.Context, q rowQueryer, a *Attachment, data []byte, sealed bool) (io.ReadCloser, error) {
	stored := storedAttachment(ctx, q, a.ID, data)
	if !sealed {
		return newCheckedReader(stored, nil, a.Size, a.SHA256), nil
	}
	plain, err := db.openStream(stored)
	if err != nil {
		return nil, err
	}
	return newCheckedReader(plain, plain, a.Size, a.SHA256), nil
}

// convertChunks turns the value stored as chunks of id (read from stored,
// which must stop before seq off) sealed or open as it streams, into new
// chunks numbered from off, then removes the old ones and numbers the new
// ones from 0. With check, the plaintext must be size bytes with SHA-256
// sum. The value is never held whole, whatever its size.
func (tx *Tx) convertChunks(ctx context.Context, s sealStep, t chunkTable, id int64, stored io.Reader, off int, check bool, size int64, sum string) error {
	if s.seal {
		n, got, err := tx.sealedStream(ctx, nil, t, id, off, stored)
		if err != nil {
			return err
		}
		if check && (n != size || got != sum) {
			return fmt.Errorf("db: %s of %d: the stored file is not the %d bytes its listing says", t.table, id, size)
		}
	} else {
		plain, err := tx.db.openStream(stored)
		if err != nil {
			return err
		}
		defer plain.Close()
		var src io.Reader = plain
		if check {
			src = newCheckedReader(plain, nil, size, sum)
		}
		cw := tx.chunkWriter(ctx, t, id, off)
		if _, err := io.Copy(cw, src); err != nil {
			return fmt.Errorf("db: open %s of %d: %w", t.table, id, err)
		}
		if err := cw.Close(); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM `+t.table+` WHERE `+t.owner+` = ? AND seq < ?`, id, off); err != nil {
		return fmt.Errorf("db: convert %s of %d: %w", t.table, id, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE `+t.table+` SET seq = seq - ? WHERE `+t.owner+` = ?`, off, id); err != nil {
		return fmt.Errorf("db: convert %s of %d: %w", t.table, id, err)
	}
	return nil
}

// chunkCount is how many chunks id has (its chunks are numbered from 0).
func (tx *Tx) chunkCount(ctx context.Context, t chunkTable, id int64) (int, error) {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq) + 1, 0) FROM `+t.table+` WHERE `+t.owner+` = ?`, id).Scan(&n); err != nil {
		return 0, fmt.Errorf("db: count %s of %d: %w", t.table, id, err)
	}
	return n, nil
}
