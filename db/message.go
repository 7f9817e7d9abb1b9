package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Kind is the kind of a timeline entry.
type Kind string

// Timeline entry kinds.
const (
	KindInbound Kind = "inbound" // from the reporter
	KindReply   Kind = "reply"   // public reply from staff
	KindNote    Kind = "note"    // internal, never shown to the reporter
	KindEvent   Kind = "event"   // state change, edit, system event
)

// Message is one entry of a report's timeline.
type Message struct {
	ID          int64
	ReportID    int64
	Kind        Kind
	Public      bool
	AuthorID    int64
	AuthorName  string
	Source      Source
	Body        string
	Event       string
	FromState   State
	ToState     State
	CreatedAt   time.Time
	Attachments []*Attachment
	Sealed      bool // Body was stored sealed; while locked it reads SealedText
	// OpenPGP of an entry made from a mail (views/wording.PGP words it).
	PGPState     PGPState
	PGPSignature PGPSignature
	PGPSigner    string
	PGPNote      string
	// Unverified says the entry is a mail that reached the report by its
	// subject tag alone: staff only, until a triager accepts it.
	Unverified bool
}

// Attachment is a file's metadata; its bytes are read with AttachmentData.
type Attachment struct {
	ID          int64
	MessageID   int64
	Filename    string
	ContentType string
	Size        int64
	SHA256      string
}

// NewMessage is a timeline entry to add.
type NewMessage struct {
	sealed      bool // Body is sealed already (files are sealed as they are written)
	ReportID    int64
	Kind        Kind
	Public      bool
	AuthorID    int64
	Source      Source
	Body        string
	Event       string
	FromState   State
	ToState     State
	MessageID   string
	Attachments []NewAttachment
}

func (tx *Tx) addMessage(ctx context.Context, m *NewMessage) (int64, error) {
	if m.Kind == KindNote {
		m.Public = false
	}
	var author, msgID any
	if m.AuthorID != 0 {
		author = m.AuthorID
	}
	if m.MessageID != "" {
		msgID = m.MessageID
	}
	now := formatTime(tx.now)
	var files *sealSession // the session the entry's files are sealed in
	if tx.db.sealOn {
		s, owned, err := tx.sessionFor(m.ReportID, len(m.Attachments) > 0)
		if err != nil {
			return 0, err
		}
		if owned {
			defer s.close()
		}
		if !m.sealed {
			if m, err = tx.sealedMessage(m, s); err != nil {
				return 0, err
			}
		}
		files = s
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO messages (report_id, kind, public, author_id, source, body, event, from_state, to_state, message_id, sealed, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.ReportID, string(m.Kind), m.Public, author, string(m.Source), m.Body, m.Event, string(m.FromState), string(m.ToState), msgID, m.sealed, now)
	if err != nil {
		if isUnique(err) && msgID != nil { // the id is SQLite's: message_id is the one unique value given
			return 0, Errorf(ECONFLICT, "This message was already received.")
		}
		return 0, fmt.Errorf("db: insert message: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("db: message id: %w", err)
	}
	for _, a := range m.Attachments {
		if err := tx.addAttachment(ctx, id, &a, now, tx.db.sealOn, files); err != nil {
			return 0, err
		}
	}
	return id, nil
}

// SafeFilename keeps the last path element of a client-supplied name, drops
// control characters and bounds its length, so that a download never carries
// a path or a header break.
func SafeFilename(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		// Format characters go too: a right-to-left override makes
		// "report\u202Efdp.exe" read as "reportexe.pdf" on the page a
		// triager downloads it from.
		if r < 0x20 || r == 0x7f || r == '"' || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	for utf8.RuneCountInString(name) > 120 {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	if name == "" || name == "." || name == ".." {
		name = "attachment"
	}
	return name
}

// Timeline returns a report's entries in order with their attachments; with
// publicOnly, internal notes and staff-only events are left out.
func (db *DB) Timeline(ctx context.Context, reportID int64, publicOnly bool) ([]*Message, error) {
	tx, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	q := `SELECT m.id, m.kind, m.public, COALESCE(m.author_id, 0), COALESCE(NULLIF(u.name, ''), u.email, ''), m.source, m.body, m.event,
		m.from_state, m.to_state, m.created_at, m.sealed, m.pgp_state, m.pgp_signature, m.pgp_signer, m.pgp_note, m.pgp_note_sealed, m.unverified
		FROM messages m LEFT JOIN users u ON u.id = m.author_id WHERE m.report_id = ?`
	if publicOnly {
		q += ` AND m.public = 1`
	}
	rows, err := tx.QueryContext(ctx, q+` ORDER BY m.id`, reportID)
	if err != nil {
		return nil, fmt.Errorf("db: read timeline: %w", err)
	}
	defer rows.Close()
	var out []*Message
	byID := map[int64]*Message{}
	for rows.Next() {
		m := &Message{ReportID: reportID}
		var created string
		var noteSealed bool
		if err := rows.Scan(&m.ID, &m.Kind, &m.Public, &m.AuthorID, &m.AuthorName, &m.Source, &m.Body, &m.Event,
			&m.FromState, &m.ToState, &created, &m.Sealed, &m.PGPState, &m.PGPSignature, &m.PGPSigner, &m.PGPNote, &noteSealed, &m.Unverified); err != nil {
			return nil, fmt.Errorf("db: scan timeline: %w", err)
		}
		switch {
		case m.Sealed && noteSealed:
			db.openTexts(&m.Body, &m.PGPNote)
		case m.Sealed:
			m.Body, _ = db.openText(m.Body)
		case noteSealed:
			m.PGPNote, _ = db.openText(m.PGPNote)
		}
		m.CreatedAt = parseTime(created)
		out = append(out, m)
		byID[m.ID] = m
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("db: read timeline: %w", err)
	}
	arows, err := tx.QueryContext(ctx, `SELECT a.id, a.message_id, a.filename, a.content_type, a.size, a.sha256
		FROM attachments a JOIN messages m ON m.id = a.message_id WHERE m.report_id = ? ORDER BY a.id`, reportID)
	if err != nil {
		return nil, fmt.Errorf("db: read attachments: %w", err)
	}
	defer arows.Close()
	for arows.Next() {
		a := &Attachment{}
		if err := arows.Scan(&a.ID, &a.MessageID, &a.Filename, &a.ContentType, &a.Size, &a.SHA256); err != nil {
			return nil, fmt.Errorf("db: scan attachment: %w", err)
		}
		if m, ok := byID[a.MessageID]; ok {
			m.Attachments = append(m.Attachments, a)
		}
	}
	return out, arows.Err()
}

// AttachmentOf returns an attachment of the given report with its bytes.
// With publicOnly, an attachment of an internal entry is not found, so a
// reporter can never read what only staff may. The bytes are read once,
// into a buffer of the file's size; AttachmentReader streams them instead.
func (db *DB) AttachmentOf(ctx context.Context, reportID, attachmentID int64, publicOnly bool) (*Attachment, []byte, error) {
	a, r, err := db.AttachmentReader(ctx, reportID, attachmentID, publicOnly)
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	data := make([]byte, a.Size)
	if _, err := io.ReadFull(r, data); err != nil {
		return nil, nil, fmt.Errorf("db: read attachment %d: %w", a.ID, err)
	}
	if _, err := io.Copy(io.Discard, r); err != nil { // the end, where the checks are
		return nil, nil, fmt.Errorf("db: read attachment %d: %w", a.ID, err)
	}
	return a, data, nil
}

// AttachmentReader is AttachmentOf as a stream: a download of a file of any
// size, sealed or not, holds one 256 KB chunk of it at a time. The reader
// fails at its end if the bytes are not the file's size and SHA-256 (a
// sealed file is checked by its OpenPGP integrity tag too); what was read
// before such a failure must not be trusted. Close it.
func (db *DB) AttachmentReader(ctx context.Context, reportID, attachmentID int64, publicOnly bool) (*Attachment, io.ReadCloser, error) {
	a := &Attachment{}
	var data []byte
	var sealed bool
	q := `SELECT a.id, a.message_id, a.filename, a.content_type, a.size, a.sha256, d.data, a.sealed
		FROM attachments a JOIN messages m ON m.id = a.message_id JOIN attachment_data d ON d.attachment_id = a.id
		WHERE a.id = ? AND m.report_id = ?`
	if publicOnly {
		q += ` AND m.public = 1`
	}
	err := db.read.QueryRowContext(ctx, q, attachmentID, reportID).Scan(&a.ID, &a.MessageID, &a.Filename, &a.ContentType, &a.Size, &a.SHA256, &data, &sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, Errorf(ENOTFOUND, "Attachment not found.")
	} else if err != nil {
		return nil, nil, fmt.Errorf("db: read attachment: %w", err)
	}
	r, err := db.attachmentReader(ctx, db.read, a, data, sealed)
	if err != nil {
		return nil, nil, err
	}
	return a, r, nil
}

// AddReporterMessage adds a reporter's follow-up (from the status page or a
// mail) to a report. A report waiting on the reporter (needs_info) moves back
// to the state it was in, and the clocks resume.
func (db *DB) AddReporterMessage(ctx context.Context, reportID int64, body string, files []NewAttachment, source Source, lim Limits) error {
	body = strings.TrimSpace(body)
	errs := FieldErrors{}
	if body == "" && len(files) == 0 {
		errs["body"] = "Write a message or attach a file."
	} else if n := utf8.RuneCountInString(body); n > lim.MaxTextRunes {
		errs["body"] = fmt.Sprintf("Keep the message under %s (it has %d); attach longer material as a file.", count(lim.MaxTextRunes, "character", "characters"), n)
	}
	validateAttachments(files, lim, errs)
	if len(errs) > 0 {
		return Invalid(errs)
	}
	return db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		if _, _, err := tx.addReporterMessage(ctx, reportID, &NewMessage{ReportID: reportID, Kind: KindInbound, Public: true,
			Source: source, Body: body, Attachments: files}); err != nil {
			return err
		}
		return nil
	})
}

// addReporterMessage adds a reporter's entry m to a report inside tx; web and
// mail share it, so a reply to needs_info moves the report back either way.
// It returns the new entry's id and the report's reference.
func (tx *Tx) addReporterMessage(ctx context.Context, reportID int64, m *NewMessage) (int64, string, error) {
	var state, prev, ref string
	var anonymised bool
	err := tx.QueryRowContext(ctx, `SELECT r.state, r.prev_state, p.prefix || '-' || r.number, r.anonymised_at IS NOT NULL
		FROM reports r JOIN programs p ON p.id = r.program_id WHERE r.id = ?`, reportID).Scan(&state, &prev, &ref, &anonymised)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", Errorf(ENOTFOUND, "Report not found.")
	} else if err != nil {
		return 0, "", fmt.Errorf("db: read report state: %w", err)
	}
	if anonymised {
		// Retention removed this report's content; new text must not
		// grow back on it.
		return 0, "", Errorf(ECONFLICT, "This report was closed and its content removed under the retention policy; it takes no more messages. Please send a new report.")
	}
	msgID, err := tx.addMessage(ctx, m)
	if err != nil {
		return 0, "", err
	}
	if err := tx.reporterAnswered(ctx, reportID, ref, State(state), State(prev), msgID, m.Body, m.Source); err != nil {
		return 0, "", err
	}
	return msgID, ref, nil
}

// reporterAnswered is what a reporter's entry msgID causes once it is on the
// timeline (at once, or when a triager accepts an unverified mail): a report
// waiting on the reporter moves back, the report is touched, audited, and
// staff and webhooks hear of it.
func (tx *Tx) reporterAnswered(ctx context.Context, reportID int64, ref string, state, prev State, msgID int64, body string, source Source) error {
	if state == StateNeedsInfo {
		back := prev
		if !StateNeedsInfo.CanMoveTo(back) {
			back = StateNew
		}
		if err := tx.setState(ctx, reportID, ref, StateNeedsInfo, back, ActorReporter, "the reporter replied"); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE reports SET updated_at = ? WHERE id = ?`, formatTime(tx.now), reportID); err != nil {
		return fmt.Errorf("db: touch report: %w", err)
	}
	if err := tx.audit(ctx, ActorReporter, "report.reporter_message", ref, "source="+string(source)); err != nil {
		return err
	}
	return tx.recordEvent(ctx, EventReporterMessage, reportID, msgID, ActorReporter, "", "", 0)
}

// setState moves a report and records the move on the timeline (public: the
// reporter sees state changes) and in the audit log. needs_info pauses the
// deadline clocks; leaving it resumes them.
func (tx *Tx) setState(ctx context.Context, reportID int64, ref string, from, to State, actor Actor, reason string) error {
	if !from.CanMoveTo(to) {
		return &Error{Code: ECONFLICT, Message: Keyed(MsgTransition, string(from), string(to))}
	}
	now := formatTime(tx.now)
	q := `UPDATE reports SET state = ?, prev_state = ?, version = version + 1, updated_at = ?`
	args := []any{string(to), string(from), now}
	switch {
	case to == StateNeedsInfo:
		q += `, paused_at = ?`
		args = append(args, now)
	case from == StateNeedsInfo:
		q += `, paused_seconds = paused_seconds + CAST((julianday(?) - julianday(paused_at)) * 86400 AS INTEGER), paused_at = NULL`
		args = append(args, now)
	}
	switch {
	case to == StateTriaged:
		q += `, triaged_at = COALESCE(triaged_at, ?)`
		args = append(args, now)
	case to == StateResolved:
		q += `, resolved_at = COALESCE(resolved_at, ?)`
		args = append(args, now)
	case to.Closed():
		q += `, closed_at = ?`
		args = append(args, now)
	}
	if from.Closed() && !to.Closed() {
		q += `, closed_at = NULL`
	}
	if _, err := tx.ExecContext(ctx, q+` WHERE id = ? AND state = ?`, append(args, reportID, string(from))...); err != nil {
		return fmt.Errorf("db: set state: %w", err)
	}
	msgID, err := tx.addMessage(ctx, &NewMessage{ReportID: reportID, Kind: KindEvent, Public: true, AuthorID: actor.UserID,
		Event: "state", FromState: from, ToState: to, Body: reason})
	if err != nil {
		return err
	}
	if err := tx.audit(ctx, actor, "report.state", ref, string(from)+" -> "+string(to)); err != nil {
		return err
	}
	return tx.recordEvent(ctx, EventState, reportID, msgID, actor, from, to, 0)
}
