package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// EventKind names something that happened to a report that people may be
// told about by mail or webhook.
type EventKind string

// Events the portal tells people about.
const (
	EventReportCreated   EventKind = "report.created"   // a new report (web or mail)
	EventReporterMessage EventKind = "reporter.message" // the reporter wrote again
	EventReply           EventKind = "reply"            // staff replied publicly
	EventState           EventKind = "state"            // the state changed
	EventReminder        EventKind = "reminder"         // the report still waits on the reporter
)

// Event is an action people may be told about, as the mail gateway reads it
// back (Tx.PendingEvents) to compose its mail: the action recorded only ids
// and its kind (recordEvent), the rest is read from the database when the
// mail is composed.
type Event struct {
	ID        int64 // events.id
	Kind      EventKind
	Report    *Report
	MessageID int64 // the timeline entry the event is about, if any
	// Body is the text of a reply (EventReply); Reason the reason of a
	// state change (EventState). Both are read from the timeline entry.
	Body      string
	FromState State
	ToState   State
	Reason    string
	Actor     Actor
	// Locked says some text of the event (the report's, its entry's) is
	// sealed and the team key is locked: it reads SealedText. Mail that
	// carries such text waits for the key (mailin does not compose it).
	Locked bool

	// Sealed says the report is sealed: mail subjects carry only the reference.
	Sealed bool
	// InReplyTo is the Message-ID of the reporter's last mail on the report.
	InReplyTo string
	// References are the Message-IDs of the conversation with the reporter,
	// oldest first: their mails and ours.
	References []string
	// Attachments are the files of the timeline entry (a reply's files).
	Attachments []*Attachment
	// Staff are the program's members to mail about this event now (their
	// preference is "every event"), filled by Tx.EventAudience; members on a
	// daily digest get a digest item instead, members who chose "none"
	// nothing.
	Staff []*Recipient
}

// Recipient is a staff member to notify.
type Recipient struct {
	UserID       int64
	Email        string
	Name         string
	IncludeTitle bool // the user asked for titles in notifications
}

// recordEvent records, in the action's transaction, that people may have
// to be told of what it did: ids and kind only, no text. The mail gateway
// composes the mail later (Tx.PendingEvents, Tx.FinishEvent), woken once
// the transaction commits (DB.EventsRecorded). Webhook deliveries carry no
// composed text either and are queued here, with the action.
//
// programID, when the caller knows it (0 otherwise), lets a group commit
// skip programs without webhooks from its cache.
func (tx *Tx) recordEvent(ctx context.Context, kind EventKind, reportID, messageID int64, actor Actor, from, to State, programID int64) error {
	var actorID, msg any
	who := "staff"
	if actor.UserID != 0 {
		actorID = actor.UserID
	} else if actor.Name == ActorReporter.Name || actor.Name == ActorSystem.Name {
		who = actor.Name
	}
	if messageID != 0 {
		msg = messageID
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO events (kind, report_id, message_id, actor_id, actor, from_state, to_state, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, string(kind), reportID, msg, actorID, who, string(from), string(to), formatTime(tx.now)); err != nil {
		return fmt.Errorf("db: record event %s: %w", kind, err)
	}
	tx.recorded = true
	return tx.queueWebhooks(ctx, kind, reportID, programID, from, to)
}

// EventsRecorded is signalled after a commit that recorded events, so the
// mail gateway's worker composes their mail at once. It holds one signal:
// a worker that was busy finds it when it looks again.
func (db *DB) EventsRecorded() <-chan struct{} { return db.eventsRecorded }

// nudgeEvents signals EventsRecorded without waiting.
func (db *DB) nudgeEvents() {
	select {
	case db.eventsRecorded <- struct{}{}:
	default:
	}
}

// eventReport reads a report for the mail of an event of kind k. Of a
// sealed report it opens only what mail carries: the reporter's address,
// and the close reason of a state change. The rest (title, text, the
// reporter's name and key) reads SealedText: mail about a sealed report
// names only its reference, and a key is only tested for being there.
// Opening less keeps the single writer from decrypting what it would not
// use.
func (tx *Tx) eventReport(ctx context.Context, id int64, k EventKind) (*Report, error) {
	r, err := scanReport(tx.QueryRowContext(ctx, `SELECT `+reportColumns+reportFrom+` WHERE r.id = ?`, id))
	if err != nil {
		return nil, fmt.Errorf("db: read report %d: %w", id, err)
	}
	ok := true
	if r.Sealed {
		for _, s := range []*string{&r.Title, &r.Asset, &r.Description, &r.Steps, &r.Impact} {
			if *s != "" {
				*s = SealedText
			}
		}
		if k == EventState {
			ok = tx.db.openTexts(&r.CloseReason)
		} else if r.CloseReason != "" {
			r.CloseReason = SealedText
		}
	}
	if r.Reporter.Sealed {
		for _, s := range []*string{&r.Reporter.Name, &r.Reporter.PGPKey} {
			if *s != "" {
				*s = SealedText
			}
		}
		ok = tx.db.openTexts(&r.Reporter.Email) && ok
	}
	r.Locked = !ok
	return r, nil
}

// PendingEvents reads up to limit events not yet composed, after the event
// id after, in the order they happened; ReadEvent then loads what the mail
// of each needs, just before it is composed (so that it sees the mail
// composed for the events before it). They are read in the transaction that
// composes them, so an event is composed once however many workers look.
func (tx *Tx) PendingEvents(ctx context.Context, after int64, limit int) ([]*Event, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, kind, report_id, COALESCE(message_id, 0), COALESCE(actor_id, 0), actor, from_state, to_state
		FROM events WHERE done_at IS NULL AND id > ? ORDER BY id LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("db: read events: %w", err)
	}
	var out []*Event
	for rows.Next() {
		ev := &Event{Report: &Report{}}
		if err := rows.Scan(&ev.ID, &ev.Kind, &ev.Report.ID, &ev.MessageID, &ev.Actor.UserID, &ev.Actor.Name, &ev.FromState, &ev.ToState); err != nil {
			rows.Close()
			return nil, fmt.Errorf("db: scan event: %w", err)
		}
		out = append(out, ev)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("db: read events: %w", err)
	}
	return out, nil
}

// ReadEvent loads what the mail of ev (from PendingEvents) needs: its
// report, the entry's text, the thread to answer in, the reply's files.
func (tx *Tx) ReadEvent(ctx context.Context, ev *Event) error {
	r, err := tx.eventReport(ctx, ev.Report.ID, ev.Kind)
	if err != nil {
		return err
	}
	ev.Report = r
	return tx.fillEvent(ctx, ev)
}

// FinishEvent writes the mails composed for ev to the outbox and marks ev
// done, in the composing transaction: a committed event has its mail, and
// an event already done (another worker's) is ECONFLICT and writes nothing.
// An acknowledgement to a reporter is capped per recipient (EnqueueAck).
// With sealing on, the mails of one event share one sealing session.
func (tx *Tx) FinishEvent(ctx context.Context, ev *Event, mails []*OutMail) error {
	res, err := tx.ExecContext(ctx, `UPDATE events SET done_at = ? WHERE id = ? AND done_at IS NULL`, formatTime(tx.now), ev.ID)
	if err != nil {
		return fmt.Errorf("db: mark event %d done: %w", ev.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("db: mark event %d done: %w", ev.ID, err)
	} else if n != 1 {
		return Errorf(ECONFLICT, "The event %d was composed already.", ev.ID)
	}
	if tx.db.sealOn && len(mails) > 1 && ev.Report != nil && tx.session == nil {
		s, err := tx.db.newSealSession()
		if err != nil {
			return err
		}
		tx.session, tx.sessionReport = s, ev.Report.ID
		defer func() { s.close(); tx.session, tx.sessionReport = nil, 0 }()
	}
	for _, m := range mails {
		if m.Kind == AckKind && m.UserID == 0 {
			err = tx.EnqueueAck(ctx, m) // capped per recipient, web and mail alike
		} else {
			_, err = tx.enqueueMail(ctx, m)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// ForgetDoneEvents deletes events composed more than a week ago.
func (tx *Tx) ForgetDoneEvents(ctx context.Context) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM events WHERE done_at IS NOT NULL AND done_at < ?`, formatTime(tx.now.AddDate(0, 0, -7))); err != nil {
		return fmt.Errorf("db: forget done events: %w", err)
	}
	return nil
}

// entryText reads the text of timeline entry id, opened; ok is false when
// it is sealed and the key is locked. An entry removed since (purge) reads
// empty.
func (tx *Tx) entryText(ctx context.Context, id int64) (string, bool, error) {
	var body string
	var sealed bool
	err := tx.QueryRowContext(ctx, `SELECT body, sealed FROM messages WHERE id = ?`, id).Scan(&body, &sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return "", true, nil
	} else if err != nil {
		return "", false, fmt.Errorf("db: read event entry %d: %w", id, err)
	}
	if !sealed {
		return body, true, nil
	}
	body, ok := tx.db.openText(body)
	return body, ok, nil
}
