package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// rawChunkSize bounds the memory one stored or served raw message needs.
const rawChunkSize = 256 << 10

// RawMail is a kept message's metadata; its bytes are streamed by
// WriteRawMail or RawMailOf.
type RawMail struct {
	ID        int64
	Kind      MailKind
	Size      int64
	SHA256    string
	MessageID string
	FromEmail string
	Subject   string
	ReportID  int64
	Ref       string
	EntryID   int64
	Note      string // why it was kept aside: auto-reply reason, error
	Attempts  int
	Sealed    bool // bytes, sender and subject are sealed
	CreatedAt time.Time

	noteSealed bool // Note is sealed (migration 0020)
}

// storeRawMail keeps the raw bytes (read in chunks) with what it became.
func (tx *Tx) storeRawMail(ctx context.Context, in *InboundMail, kind MailKind, key string, reportID, entryID int64, note string, attempts int) (int64, error) {
	var dedupe, report, entry any
	if key != "" {
		dedupe = key
	}
	if reportID != 0 {
		report = reportID
	}
	if entryID != 0 {
		entry = entryID
	}
	from, subject := in.FromEmail, cutRunes(in.Subject, 300)
	var s *sealSession
	if tx.db.sealOn {
		// The sender, the subject and the message itself share a session
		// key: one key agreement per mail.
		var err error
		if s, err = tx.db.newSealSession(); err != nil {
			return 0, err
		}
		defer s.close()
		// The note quotes errors and what the mail said of itself.
		if err := s.texts(&from, &subject, &note); err != nil {
			return 0, err
		}
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO mail_raw (kind, dedupe_key, sha256, size, message_id, from_addr, subject, report_id, entry_id,
		note, note_sealed, attempts, mailbox, uid_validity, uid, sealed, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		string(kind), dedupe, in.RawSHA256, in.RawSize, in.MessageID, from, subject, report, entry,
		note, tx.db.sealOn && note != "", attempts, in.Mailbox, in.UIDValidity, in.UID, tx.db.sealOn, formatTime(tx.now))
	if err != nil {
		return 0, fmt.Errorf("db: insert raw mail: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("db: raw mail id: %w", err)
	}
	if in.OpenRaw == nil {
		return id, nil
	}
	raw := in.OpenRaw()
	if s != nil {
		// One OpenPGP message, sealed as it streams into its chunks.
		if _, _, err := tx.sealedStream(ctx, s, rawMailChunkRows, id, 0, raw); err != nil {
			return 0, err
		}
		return id, nil
	}
	cw := tx.chunkWriter(ctx, rawMailChunkRows, id, 0)
	if _, err := io.Copy(cw, raw); err != nil {
		return 0, fmt.Errorf("db: store raw mail: %w", err)
	}
	if err := cw.Close(); err != nil {
		return 0, err
	}
	return id, nil
}

// advanceMailbox records that uid committed, so the next poll starts after
// it, and forgets its failures.
func (tx *Tx) advanceMailbox(ctx context.Context, mailbox string, uidValidity, uid uint32) error {
	if mailbox == "" {
		return nil
	}
	now := formatTime(tx.now)
	if _, err := tx.ExecContext(ctx, `INSERT INTO mail_mailboxes (name, uid_validity, last_uid, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET last_uid = MAX(last_uid, excluded.last_uid), updated_at = excluded.updated_at
		WHERE uid_validity = excluded.uid_validity`, mailbox, uidValidity, uid, now); err != nil {
		return fmt.Errorf("db: advance mailbox: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM mail_failures WHERE mailbox = ? AND uid_validity = ? AND uid = ?`, mailbox, uidValidity, uid); err != nil {
		return fmt.Errorf("db: clear mail failure: %w", err)
	}
	return nil
}

// advanceMailboxes is advanceMailbox for a group of mails committed
// together: two statements per mailbox rather than two per mail.
func (tx *Tx) advanceMailboxes(ctx context.Context, ins []*InboundMail) error {
	type box struct {
		name        string
		uidValidity uint32
	}
	last := map[box]uint32{}
	uids := map[box][]uint32{}
	var order []box
	for _, in := range ins {
		if in.Mailbox == "" {
			continue
		}
		b := box{in.Mailbox, in.UIDValidity}
		if _, ok := uids[b]; !ok {
			order = append(order, b)
		}
		last[b] = max(last[b], in.UID)
		uids[b] = append(uids[b], in.UID)
	}
	now := formatTime(tx.now)
	for _, b := range order {
		if _, err := tx.ExecContext(ctx, `INSERT INTO mail_mailboxes (name, uid_validity, last_uid, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET last_uid = MAX(last_uid, excluded.last_uid), updated_at = excluded.updated_at
			WHERE uid_validity = excluded.uid_validity`, b.name, b.uidValidity, last[b], now); err != nil {
			return fmt.Errorf("db: advance mailbox: %w", err)
		}
		list, err := json.Marshal(uids[b])
		if err != nil {
			return fmt.Errorf("db: clear mail failures: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM mail_failures WHERE mailbox = ? AND uid_validity = ? AND uid IN (SELECT value FROM json_each(?))`,
			b.name, b.uidValidity, string(list)); err != nil {
			return fmt.Errorf("db: clear mail failures: %w", err)
		}
	}
	return nil
}

// MailboxState is where intake stopped in one mailbox.
type MailboxState struct {
	UIDValidity uint32
	LastUID     uint32
	Reset       bool     // the UIDVALIDITY changed: the mailbox is read again
	Retry       []uint32 // UIDs above nothing committed that failed before
	// Stopped are the UIDs of Retry whose last attempt stopped the portal
	// while it read them (MarkMailReading), with their failed attempts.
	Stopped map[uint32]int
	// Careful is a range of UIDs (first, last; zero: none) in which the
	// portal stopped while reading a batch: intake marks each message of
	// it before parsing, so that a further stop names the message.
	Careful [2]uint32
}

// SyncMailbox returns where intake stopped in mailbox under uidValidity. A
// new UIDVALIDITY (the server rebuilt the mailbox) starts again from UID 0;
// dedupe by raw hash and Message-ID keeps the re-read from adding anything.
func (db *DB) SyncMailbox(ctx context.Context, mailbox string, uidValidity uint32) (*MailboxState, error) {
	var out *MailboxState
	err := db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		var err error
		st := &MailboxState{UIDValidity: uidValidity}
		var old uint32
		err = tx.QueryRowContext(ctx, `SELECT uid_validity, last_uid FROM mail_mailboxes WHERE name = ?`, mailbox).Scan(&old, &st.LastUID)
		now := formatTime(tx.now)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if _, err := tx.ExecContext(ctx, `INSERT INTO mail_mailboxes (name, uid_validity, last_uid, updated_at) VALUES (?, ?, 0, ?)`, mailbox, uidValidity, now); err != nil {
				return fmt.Errorf("db: insert mailbox state: %w", err)
			}
		case err != nil:
			return fmt.Errorf("db: read mailbox state: %w", err)
		case old != uidValidity:
			st.LastUID, st.Reset = 0, true
			if _, err := tx.ExecContext(ctx, `UPDATE mail_mailboxes SET uid_validity = ?, last_uid = 0, reading_from = 0, reading_to = 0, careful_from = 0, careful_to = 0, updated_at = ? WHERE name = ?`, uidValidity, now, mailbox); err != nil {
				return fmt.Errorf("db: reset mailbox state: %w", err)
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM mail_failures WHERE mailbox = ? AND uid_validity <> ?`, mailbox, uidValidity); err != nil {
				return fmt.Errorf("db: forget old failures: %w", err)
			}
			if err := tx.audit(ctx, ActorSystem, "mail.uidvalidity", mailbox, fmt.Sprintf("%d -> %d", old, uidValidity)); err != nil {
				return err
			}
		}
		if st.Careful, err = tx.takeStoppedReading(ctx, mailbox, uidValidity); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT uid, attempts, stopped FROM mail_failures WHERE mailbox = ? AND uid_validity = ? ORDER BY uid`, mailbox, uidValidity)
		if err != nil {
			return fmt.Errorf("db: read mail failures: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var uid uint32
			var attempts int
			var stopped bool
			if err := rows.Scan(&uid, &attempts, &stopped); err != nil {
				return fmt.Errorf("db: scan mail failure: %w", err)
			}
			st.Retry = append(st.Retry, uid)
			if stopped {
				if st.Stopped == nil {
					st.Stopped = map[uint32]int{}
				}
				st.Stopped[uid] = attempts
			}
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("db: read mail failures: %w", err)
		}
		rows.Close()
		out = st
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// RecordMailFailure counts one failed attempt at a message and returns the
// count so far, so the gateway can set the message aside at its limit.
func (db *DB) RecordMailFailure(ctx context.Context, mailbox string, uidValidity, uid uint32, reason string) (int, error) {
	// The error may quote the mail (a header line, a file's name): sealed
	// when the database seals, like the note of a mail set aside.
	reason = cutRunes(reason, 1000)
	if db.sealOn {
		var err error
		if reason, err = db.sealText(reason); err != nil {
			return 0, err
		}
	}
	var n int
	err := db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO mail_failures (mailbox, uid_validity, uid, attempts, last_error, stopped, updated_at) VALUES (?, ?, ?, 1, ?, 0, ?)
			ON CONFLICT (mailbox, uid_validity, uid) DO UPDATE SET attempts = attempts + 1, last_error = excluded.last_error, stopped = 0, updated_at = excluded.updated_at
			RETURNING attempts`, mailbox, uidValidity, uid, reason, formatTime(tx.now)).Scan(&n)
	})
	if err != nil {
		return 0, fmt.Errorf("db: record mail failure: %w", err)
	}
	return n, nil
}

// SetAsideMail keeps a message that kept failing, raw, with the error, for
// admins; the mailbox moves past it. Its bytes are matched by hash, so a
// later re-fetch adds nothing.
func (db *DB) SetAsideMail(ctx context.Context, in *InboundMail, reason string, attempts int) error {
	err := db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM mail_raw WHERE sha256 = ?`, in.RawSHA256).Scan(&n); err != nil {
			return fmt.Errorf("db: look up raw mail: %w", err)
		}
		if n == 0 {
			if _, err := tx.storeRawMail(ctx, in, MailSetAside, "", 0, 0, cutRunes(reason, 1000), attempts); err != nil {
				return err
			}
			if err := tx.audit(ctx, ActorSystem, "mail.set_aside", fmt.Sprintf("%s/%d/%d", in.Mailbox, in.UIDValidity, in.UID), ""); err != nil {
				return err
			}
		}
		return tx.advanceMailbox(ctx, in.Mailbox, in.UIDValidity, in.UID)
	})
	return err
}

// WriteRawMail streams the bytes of kept message id to w, chunk by chunk.
func (db *DB) WriteRawMail(ctx context.Context, id int64, w io.Writer) error {
	var sealed bool
	if err := db.read.QueryRowContext(ctx, `SELECT sealed FROM mail_raw WHERE id = ?`, id).Scan(&sealed); errors.Is(err, sql.ErrNoRows) {
		return Errorf(ENOTFOUND, "Message not found.")
	} else if err != nil {
		return fmt.Errorf("db: read raw mail: %w", err)
	}
	if sealed {
		return db.writeSealedRawMail(ctx, id, w)
	}
	for seq := 0; ; seq++ {
		var data []byte
		err := db.read.QueryRowContext(ctx, `SELECT data FROM mail_raw_chunks WHERE raw_id = ? AND seq = ?`, id, seq).Scan(&data)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		} else if err != nil {
			return fmt.Errorf("db: read raw mail chunk: %w", err)
		}
		if _, err := w.Write(data); err != nil {
			return fmt.Errorf("db: write raw mail: %w", err)
		}
	}
}

const rawMailColumns = `m.id, m.kind, m.size, m.sha256, m.message_id, m.from_addr, m.subject, COALESCE(m.report_id, 0),
	COALESCE(p.prefix || '-' || r.number, ''), COALESCE(m.entry_id, 0), m.note, m.attempts, m.created_at, m.sealed, m.note_sealed`

const rawMailFrom = ` FROM mail_raw m LEFT JOIN reports r ON r.id = m.report_id LEFT JOIN programs p ON p.id = r.program_id `

func scanRawMail(row interface{ Scan(...any) error }) (*RawMail, error) {
	var m RawMail
	var created string
	if err := row.Scan(&m.ID, &m.Kind, &m.Size, &m.SHA256, &m.MessageID, &m.FromEmail, &m.Subject, &m.ReportID,
		&m.Ref, &m.EntryID, &m.Note, &m.Attempts, &created, &m.Sealed, &m.noteSealed); err != nil {
		return nil, err
	}
	m.CreatedAt = parseTime(created)
	return &m, nil
}

// RawMailOf returns the raw message behind a timeline entry of a report, so
// a triager can download exactly what was received. The caller checked that
// the user may see the report; the bytes come from WriteRawMail.
func (db *DB) RawMailOf(ctx context.Context, reportID, entryID int64) (*RawMail, error) {
	m, err := scanRawMail(db.read.QueryRowContext(ctx, `SELECT `+rawMailColumns+rawMailFrom+` WHERE m.entry_id = ? AND m.report_id = ?`, entryID, reportID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, Errorf(ENOTFOUND, "No raw message for this entry.")
	} else if err != nil {
		return nil, fmt.Errorf("db: find raw mail: %w", err)
	}
	db.openRawMail(m)
	return m, nil
}

// RawMailByID returns a kept message for admins.
func (db *DB) RawMailByID(ctx context.Context, id int64) (*RawMail, error) {
	m, err := scanRawMail(db.read.QueryRowContext(ctx, `SELECT `+rawMailColumns+rawMailFrom+` WHERE m.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, Errorf(ENOTFOUND, "Message not found.")
	} else if err != nil {
		return nil, fmt.Errorf("db: find raw mail: %w", err)
	}
	db.openRawMail(m)
	return m, nil
}

// RawMailEntries maps the timeline entries of a report that came by mail to
// their raw message ids, so a timeline can link each to its download.
func (db *DB) RawMailEntries(ctx context.Context, reportID int64) (map[int64]int64, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT entry_id, id FROM mail_raw WHERE report_id = ? AND entry_id IS NOT NULL`, reportID)
	if err != nil {
		return nil, fmt.Errorf("db: list raw mail of report: %w", err)
	}
	defer rows.Close()
	out := map[int64]int64{}
	for rows.Next() {
		var entry, id int64
		if err := rows.Scan(&entry, &id); err != nil {
			return nil, fmt.Errorf("db: scan raw mail: %w", err)
		}
		out[entry] = id
	}
	return out, rows.Err()
}
