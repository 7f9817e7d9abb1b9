package db

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
)

// Sealer encrypts to the team key and decrypts with it. Seal needs only the
// public part, so intake keeps working while the key is locked; Open needs
// the private key, held in memory once unlocked. mailin/pgp's TeamKey
// implements it; cmd/disclose wires the two.
//
// SealTo and OpenFrom are the same as streams, for what may be large
// (attachments, raw mail): the value is one OpenPGP message written or read
// through 256 KB chunks, never held whole. An OpenFrom stream must be read
// to its end or closed.
type Sealer interface {
	Seal(plain []byte) ([]byte, error)
	Open(sealed []byte) ([]byte, error)
	SealTo(dst io.Writer) (io.WriteCloser, error)
	OpenFrom(src io.Reader) (io.ReadCloser, error)
	Unlocked() bool
}

// sessionSealer is what a Sealer may add: a session key under which several
// values are sealed, each still a complete message, so that the costly key
// agreement runs once for the fields of a row, or for everything written
// about one new report, rather than once per value. sealTo is seal as a
// stream. mailin/pgp's TeamKey implements it; done forgets the session key.
type sessionSealer interface {
	SealSession() (seal func(plain []byte) ([]byte, error), sealTo func(dst io.Writer) (io.WriteCloser, error), done func(), err error)
}

// sealSession seals values under one session key (or one by one when the
// sealer has no sessions).
type sealSession struct {
	db     *DB
	seal   func([]byte) ([]byte, error)            // nil: each value alone
	sealTo func(io.Writer) (io.WriteCloser, error) // nil: each stream alone
	done   func()
}

// newSealSession starts a session; close it when its values are sealed.
func (db *DB) newSealSession() (*sealSession, error) {
	s := &sealSession{db: db}
	if ss, ok := db.sealer.(sessionSealer); ok {
		var err error
		if s.seal, s.sealTo, s.done, err = ss.SealSession(); err != nil {
			return nil, fmt.Errorf("db: seal: %w", err)
		}
	}
	return s, nil
}

// to seals what is written to the returned writer as one message to dst, in
// the session when there is one; Close finishes the message.
func (s *sealSession) to(db *DB, dst io.Writer) (io.WriteCloser, error) {
	var w io.WriteCloser
	var err error
	if s != nil && s.sealTo != nil {
		w, err = s.sealTo(dst)
	} else {
		w, err = db.sealer.SealTo(dst)
	}
	if err != nil {
		return nil, fmt.Errorf("db: seal: %w", err)
	}
	return w, nil
}

// close forgets the session key.
func (s *sealSession) close() {
	if s != nil && s.done != nil {
		s.done()
		s.done = nil
	}
}

// bytes seals b.
func (s *sealSession) bytes(b []byte) ([]byte, error) {
	if s.seal == nil {
		return s.db.sealBytes(b)
	}
	out, err := s.seal(b)
	if err != nil {
		return nil, fmt.Errorf("db: seal: %w", err)
	}
	return out, nil
}

// texts seals each string in place for a text column; "" stays "".
func (s *sealSession) texts(ss ...*string) error {
	for _, v := range ss {
		if *v == "" {
			continue
		}
		b, err := s.bytes([]byte(*v))
		if err != nil {
			return err
		}
		*v = base64.StdEncoding.EncodeToString(b)
	}
	return nil
}

// batchOpener is what a Sealer may add: open the fields of one row at once
// (mailin/pgp decrypts their shared session key once instead of once per
// field).
type batchOpener interface {
	OpenAll(sealed [][]byte) ([][]byte, error)
}

// SealedText is what every page shows in place of a sealed value while the
// team key is locked: never the ciphertext, never an error page.
const SealedText = "[sealed — unlock the team key]"

// Sealed mode, what is sealed and what stays clear.
//
// With sealing on, everything a reporter wrote or that quotes it is stored as
// an OpenPGP message to the team key and the row's sealed flag is set:
//   - reports: title, asset, description, steps, impact, credit, close_reason;
//   - reporters: name, email, pgp_key;
//   - messages: body (replies, notes and the edit events that quote a field)
//     and pgp_note (it names files left encrypted);
//   - attachments: the bytes, in attachment_chunks (filename, type, size and
//     SHA-256 stay clear; files sealed before they streamed are one
//     attachment_data row);
//   - mail_raw: the raw message chunks, from_addr, subject and note (errors
//     and what the mail said of itself), and mail_failures.last_error;
//   - outbox: the body of mail that quotes the report.
//
// What stays clear is what the queue, the deadlines and the reporter's
// receipt need while the key is locked: the reference (prefix, number),
// program, state, severity and CVSS vector, CWE, CVE ID, source, assignee,
// duplicate-of, all dates and deadlines, the receipt hash, the reporter's
// credit preference and key fingerprint (so signatures can be matched),
// message kinds and Message-IDs (threading and dedupe), attachment names,
// types, sizes and SHA-256, raw mail size and digest, and the audit log
// (which never holds report text). Empty text stays empty (an empty field
// says nothing a reader could not guess), and a sealed value's length
// tells roughly how long the plaintext was.
//
// Known limits: while locked, signatures cannot be checked against a sealed
// reporter key, and a reporter address sealed before its keyed hash existed
// (migration 0015) is not compared with a sender; demo data (disclose demo)
// is written in clear, so demo refuses a sealed database (seal_state.go):
// fill a new one, then run disclose seal.
//
// Text columns hold the base64 of the binary OpenPGP message; blobs hold the
// binary message itself, and chunks (seal_chunks.go) hold it cut into rows
// of 256 KB, sealed and opened as it streams.

// SetSealer gives the database the team key. With seal true, new rows are
// sealed; with seal false, sealed rows already there are still opened. A
// database marked sealed (seal_state.go) refuses writes unless seal is true.
func (db *DB) SetSealer(s Sealer, seal bool) {
	db.sealer, db.sealOn = s, seal && s != nil
}

// Sealing reports whether new rows are sealed.
func (db *DB) Sealing() bool { return db.sealOn }

// Unlocked reports whether sealed values can be read now: there is a team
// key and its private part is in memory.
func (db *DB) Unlocked() bool { return db.sealer != nil && db.sealer.Unlocked() }

// sealBytes encrypts b to the team key.
func (db *DB) sealBytes(b []byte) ([]byte, error) {
	out, err := db.sealer.Seal(b)
	if err != nil {
		return nil, fmt.Errorf("db: seal: %w", err)
	}
	return out, nil
}

// sealText seals s for a text column; "" stays "".
func (db *DB) sealText(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	b, err := db.sealBytes([]byte(s))
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

// sealTexts seals each string in place, the fields of one row under one
// session key.
func (db *DB) sealTexts(ss ...*string) error {
	n := 0
	for _, s := range ss {
		if *s != "" {
			n++
		}
	}
	if n < 2 {
		return db.sealEach(ss...)
	}
	s, err := db.newSealSession()
	if err != nil {
		return err
	}
	defer s.close()
	return s.texts(ss...)
}

func (db *DB) sealEach(ss ...*string) error {
	for _, s := range ss {
		v, err := db.sealText(*s)
		if err != nil {
			return err
		}
		*s = v
	}
	return nil
}

// openText returns the plaintext of a sealed text column, or SealedText when
// the key is locked or the value cannot be opened (the reason is not the
// page's business; an admin sees the team-key problem banner).
func (db *DB) openText(s string) (string, bool) {
	if s == "" {
		return "", true
	}
	if !db.Unlocked() {
		return SealedText, false
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return SealedText, false
	}
	plain, err := db.sealer.Open(b)
	if err != nil {
		return SealedText, false
	}
	return string(plain), true
}

// openTexts opens each string in place (the fields of one row: at once
// when the sealer can); it reports whether all opened.
func (db *DB) openTexts(ss ...*string) bool {
	if db.openBatch(ss) {
		return true
	}
	ok := true
	for _, s := range ss {
		var one bool
		*s, one = db.openText(*s)
		ok = ok && one
	}
	return ok
}

// openBatch opens ss with the sealer's OpenAll; false (nothing changed)
// when it cannot, or when one does not open (openTexts then opens them one
// by one, so the others still show).
func (db *DB) openBatch(ss []*string) bool {
	o, ok := db.sealer.(batchOpener)
	if !ok || !db.Unlocked() {
		return false
	}
	var sealed [][]byte
	var dst []*string
	for _, s := range ss {
		if *s == "" {
			continue
		}
		b, err := base64.StdEncoding.DecodeString(*s)
		if err != nil {
			return false
		}
		sealed, dst = append(sealed, b), append(dst, s)
	}
	if len(sealed) < 2 {
		return false
	}
	plains, err := o.OpenAll(sealed)
	if err != nil {
		return false
	}
	for i, s := range dst {
		*s = string(plains[i])
	}
	return true
}

// anyText reports whether one of ss is not empty (an empty sealed value
// reads as empty, locked or not).
func anyText(ss ...string) bool {
	for _, s := range ss {
		if s != "" {
			return true
		}
	}
	return false
}

// openBytes decrypts a sealed blob; it fails with ECONFLICT while locked.
func (db *DB) openBytes(b []byte) ([]byte, error) {
	if !db.Unlocked() {
		return nil, Errorf(ECONFLICT, "This content is sealed; unlock the team key to read it.")
	}
	plain, err := db.sealer.Open(b)
	if err != nil {
		return nil, fmt.Errorf("db: open sealed value: %w", err)
	}
	return plain, nil
}

// openExported opens the sealed fields of one exported report.
func (db *DB) openExported(e *ExportedReport) {
	db.openReport(e.Report)
	if e.Report.Sealed && e.Details != nil {
		e.Details.Credit, _ = db.openText(e.Details.Credit)
	}
	for _, m := range e.Timeline {
		if m.Sealed {
			m.Body, _ = db.openText(m.Body)
		}
	}
}

// SealedRows counts the rows stored sealed. Whether the database is sealed
// is its own setting (SealedDatabase); this count says how far a
// conversion got.
func (db *DB) SealedRows(ctx context.Context) (int64, error) {
	var n int64
	err := db.read.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM reports WHERE sealed = 1) + (SELECT COUNT(*) FROM reporters WHERE sealed = 1)
		+ (SELECT COUNT(*) FROM messages WHERE sealed = 1) + (SELECT COUNT(*) FROM attachments WHERE sealed = 1)
		+ (SELECT COUNT(*) FROM mail_raw WHERE sealed = 1) + (SELECT COUNT(*) FROM outbox WHERE sealed = 1)
		+ (SELECT COUNT(*) FROM incidents WHERE sealed = 1) + (SELECT COUNT(*) FROM incident_obligations WHERE sealed = 1)`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("db: count sealed rows: %w", err)
	}
	return n, nil
}

// Checkpoint copies the WAL into the database file and truncates it, so
// that pages rewritten by sealing are no longer kept in the WAL.
func (db *DB) Checkpoint(ctx context.Context) error {
	db.ckptMu.Lock() // not beside the checkpointer's own (checkpoint.go)
	defer db.ckptMu.Unlock()
	var busy, logPages, done int
	if err := db.write.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logPages, &done); err != nil {
		return fmt.Errorf("db: checkpoint: %w", err)
	}
	if busy != 0 {
		return fmt.Errorf("db: checkpoint: the database was busy; try again")
	}
	return nil
}

// openQueueTitles opens the sealed titles of a page of the queue, spread
// over the cores: each costs one curve25519 operation.
func (db *DB) openQueueTitles(rows []*QueueRow) {
	var sealed []*QueueRow
	for _, r := range rows {
		if r.sealed {
			sealed = append(sealed, r)
		}
	}
	parallel(len(sealed), func(i int) {
		sealed[i].Title, _ = db.openText(sealed[i].Title)
		sealed[i].sealed = false
	})
}

// parallel runs fn(0..n-1) on up to one goroutine per core.
func parallel(n int, fn func(i int)) {
	workers := min(n, runtime.GOMAXPROCS(0))
	if workers <= 1 {
		for i := range n {
			fn(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				fn(i)
			}
		})
	}
	wg.Wait()
}
