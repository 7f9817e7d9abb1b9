package db

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"strings"
	"time"
)

// Mailbox is an intake mailbox of an organisation, configured in the
// dashboard or CLI (the environment's mailbox is the default
// organisation's and not one of these). Its password is never read back
// into it: only MailboxesForIntake opens it, for the intake workers.
type Mailbox struct {
	ID        int64
	OrgID     int64
	ProgramID int64 // new reports go here
	Addr      string
	TLS       string // tls, starttls or none
	User      string
	Name      string // the IMAP mailbox read, INBOX by default
	Processed string
	// SubjectContains and To select the security mail of a shared mailbox;
	// the rest stays untouched. Empty: every message.
	SubjectContains string
	To              string
	// Health.
	LastPollAt, LastOKAt, LastErrorAt time.Time
	LastError                         string
	Backlog                           int64 // selected messages waiting at the last poll
}

// Key is the name intake keeps this mailbox's position under, distinct for
// every configured mailbox (two servers may both have an INBOX).
func (m *Mailbox) Key() string { return fmt.Sprintf("#%d %s", m.ID, m.Name) }

// NewMailbox is what adding a mailbox takes.
type NewMailbox struct {
	Mailbox
	Password string
}

// Validate returns messages per field and fills defaults.
func (in *NewMailbox) Validate() FieldErrors {
	errs := FieldErrors{}
	in.Addr, in.User = strings.TrimSpace(in.Addr), strings.TrimSpace(in.User)
	host, port, err := net.SplitHostPort(in.Addr)
	if err != nil || host == "" || port == "" {
		errs["imap_addr"] = "Give host:port, like imap.example.org:993."
	}
	switch in.TLS {
	case "tls", "starttls":
	case "none":
		if ip := net.ParseIP(strings.Trim(host, "[]")); !strings.EqualFold(host, "localhost") && (ip == nil || !ip.IsLoopback()) {
			errs["imap_tls"] = "none would send the password in clear: only towards a loopback address."
		}
	default:
		errs["imap_tls"] = "Choose tls, starttls or none."
	}
	if in.User == "" {
		errs["imap_user"] = "Give the IMAP user name."
	}
	if in.Password == "" {
		errs["imap_password"] = "Give the IMAP password."
	}
	if in.Name = strings.TrimSpace(in.Name); in.Name == "" {
		in.Name = "INBOX"
	}
	if in.Processed = strings.TrimSpace(in.Processed); in.Processed == "" {
		in.Processed = "Processed"
	}
	if strings.EqualFold(in.Name, in.Processed) {
		errs["processed"] = "The processed folder must differ from the mailbox read."
	}
	in.SubjectContains, in.To = strings.TrimSpace(in.SubjectContains), strings.TrimSpace(in.To)
	if len(in.SubjectContains) > 200 || len(in.To) > 254 || len(in.Name) > 200 || len(in.Processed) > 200 {
		errs["filter"] = "Use at most 200 characters."
	}
	return errs
}

// CreateMailbox adds an intake mailbox to an organisation; its program must
// be one of the organisation's. The password is sealed with the local key.
func (db *DB) CreateMailbox(ctx context.Context, in *NewMailbox, actor Actor) (*Mailbox, error) {
	if errs := in.Validate(); len(errs) > 0 {
		return nil, Invalid(errs)
	}
	sealed, err := db.sealSecret(secretMailboxPassword, in.Password)
	if err != nil {
		return nil, err
	}
	var out *Mailbox
	err = db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM programs WHERE id = ? AND org_id = ?`, in.ProgramID, in.OrgID).Scan(&n); err != nil {
			return fmt.Errorf("db: check mailbox program: %w", err)
		} else if n == 0 {
			return Invalid(FieldErrors{"program": "Choose a program of this organisation."})
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO mailboxes (org_id, program_id, imap_addr, imap_tls, imap_user, imap_password, mailbox, processed,
			subject_contains, to_addr, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			in.OrgID, in.ProgramID, in.Addr, in.TLS, in.User, sealed, in.Name, in.Processed, in.SubjectContains, in.To, formatTime(tx.now))
		if isUnique(err) {
			return Invalid(FieldErrors{"imap_user": "This mailbox of this user on this server is read already."})
		} else if err != nil {
			return fmt.Errorf("db: insert mailbox: %w", err)
		}
		id, err := res.LastInsertId()
		if err != nil {
			return fmt.Errorf("db: insert mailbox: %w", err)
		}
		if err := tx.audit(ctx, actor, "mailbox.create", fmt.Sprintf("mailbox %d", id), fmt.Sprintf("org=%d program=%d addr=%s user=%s mailbox=%s subject=%q to=%q",
			in.OrgID, in.ProgramID, in.Addr, in.User, in.Name, in.SubjectContains, in.To)); err != nil {
			return err
		}
		m := in.Mailbox
		m.ID = id
		out = &m
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

const mailboxColumns = `id, org_id, program_id, imap_addr, imap_tls, imap_user, mailbox, processed, subject_contains, to_addr,
	last_poll_at, last_ok_at, last_error, last_error_at, backlog`

func scanMailbox(row interface{ Scan(...any) error }, extra ...any) (*Mailbox, error) {
	var m Mailbox
	var poll, ok, errAt sql.NullString
	if err := row.Scan(append([]any{&m.ID, &m.OrgID, &m.ProgramID, &m.Addr, &m.TLS, &m.User, &m.Name, &m.Processed, &m.SubjectContains, &m.To,
		&poll, &ok, &m.LastError, &errAt, &m.Backlog}, extra...)...); err != nil {
		return nil, err
	}
	m.LastPollAt, m.LastOKAt, m.LastErrorAt = parseNullTime(poll), parseNullTime(ok), parseNullTime(errAt)
	return &m, nil
}

// Mailboxes lists the configured mailboxes of the given organisations (nil:
// all), without their passwords.
func (db *DB) Mailboxes(ctx context.Context, orgIDs []int64) ([]*Mailbox, error) {
	q, args := `SELECT `+mailboxColumns+` FROM mailboxes`, []any{}
	if orgIDs != nil {
		q += ` WHERE org_id IN (` + placeholders(len(orgIDs)) + `)`
		for _, id := range orgIDs {
			args = append(args, id)
		}
	}
	rows, err := db.read.QueryContext(ctx, q+` ORDER BY org_id, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("db: list mailboxes: %w", err)
	}
	defer rows.Close()
	var out []*Mailbox
	for rows.Next() {
		m, err := scanMailbox(rows)
		if err != nil {
			return nil, fmt.Errorf("db: scan mailbox: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// IntakeMailbox is a mailbox with its opened password, for the intake
// workers only. OpenError says why the password could not be opened (the
// local key changed); that mailbox is then reported unhealthy, the others
// run.
type IntakeMailbox struct {
	Mailbox
	Password  string
	OpenError error
}

// MailboxesForIntake lists every configured mailbox with its password.
func (db *DB) MailboxesForIntake(ctx context.Context) ([]*IntakeMailbox, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+mailboxColumns+`, imap_password FROM mailboxes ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("db: list mailboxes: %w", err)
	}
	defer rows.Close()
	var out []*IntakeMailbox
	for rows.Next() {
		var sealed string
		m, err := scanMailbox(rows, &sealed)
		if err != nil {
			return nil, fmt.Errorf("db: scan mailbox: %w", err)
		}
		im := &IntakeMailbox{Mailbox: *m}
		if im.Password, err = db.openSecret(secretMailboxPassword, sealed); err != nil {
			im.OpenError = err
		} else if im.Password == "" {
			im.OpenError = fmt.Errorf("db: mailbox %d has no password (the local key was reset): add it again", m.ID)
		}
		out = append(out, im)
	}
	return out, rows.Err()
}

// RecordMailboxPoll notes the outcome of a mailbox's poll: its error ("" for
// success; the gateway's own text, never mail content) and how many
// selected messages were waiting.
func (db *DB) RecordMailboxPoll(ctx context.Context, id int64, pollErr string, backlog int) error {
	return db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		now := formatTime(tx.now)
		q := `UPDATE mailboxes SET last_poll_at = ?, last_ok_at = ?, last_error = '', backlog = ? WHERE id = ?`
		args := []any{now, now, backlog, id}
		if pollErr != "" {
			q = `UPDATE mailboxes SET last_poll_at = ?, last_error = ?, last_error_at = ? WHERE id = ?`
			args = []any{now, cutRunes(pollErr, 500), now, id}
		}
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("db: record mailbox poll: %w", err)
		}
		return nil
	})
}
