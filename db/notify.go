package db

import (
	"context"
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

// Event is what a Notifier is given: everything it needs to compose mail,
// since it runs inside the writing transaction and cannot read the database.
type Event struct {
	Kind      EventKind
	Report    *Report
	MessageID int64 // the timeline entry the event is about, if any
	Body      string
	FromState State
	ToState   State
	Reason    string
	Actor     Actor

	// The fields below are filled by tx.notify from the transaction; callers
	// leave them empty.

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
	// preference is "every event"); members on a daily digest get a digest
	// item instead, members who chose "none" nothing.
	Staff []*Recipient
	// Reminders is how many needs_info reminders were sent before this one.
	Reminders int
}

// Recipient is a staff member to notify.
type Recipient struct {
	UserID       int64
	Email        string
	Name         string
	IncludeTitle bool // the user asked for titles in notifications
}

// Notifier composes the mails an event causes. db declares it; the mail
// gateway implements it; cmd wires the two. A nil Notifier sends nothing.
type Notifier interface {
	Notify(ctx context.Context, ev *Event) ([]*OutMail, error)
}

// notify asks the Notifier for the mails ev causes and writes them to the
// outbox in the same transaction as the action, so that a committed action
// always has its mail and a rolled-back one never does. Digest items and
// webhook deliveries are queued in the same transaction.
func (tx *Tx) notify(ctx context.Context, ev *Event) error {
	if tx.db.Notifier == nil {
		return nil
	}
	if ev.Report == nil {
		return fmt.Errorf("db: notify %s: no report", ev.Kind)
	}
	if err := tx.fillEvent(ctx, ev); err != nil {
		return err
	}
	mails, err := tx.db.Notifier.Notify(ctx, ev)
	if err != nil {
		return fmt.Errorf("db: compose %s mail: %w", ev.Kind, err)
	}
	for _, m := range mails {
		var err error
		if m.Kind == AckKind && m.UserID == 0 {
			err = tx.enqueueAck(ctx, m) // capped per recipient, web and mail alike
		} else {
			_, err = tx.enqueueMail(ctx, m)
		}
		if err != nil {
			return err
		}
	}
	return tx.queueWebhooks(ctx, ev)
}

// reportTx reads a report inside a write transaction (the write connection
// is held by tx, so the reader pool would not see uncommitted rows).
func (tx *Tx) reportTx(ctx context.Context, id int64) (*Report, error) {
	r, err := scanReport(tx.QueryRowContext(ctx, `SELECT `+reportColumns+reportFrom+` WHERE r.id = ?`, id))
	if err != nil {
		return nil, fmt.Errorf("db: read report %d: %w", id, err)
	}
	tx.db.openReport(r)
	return r, nil
}
