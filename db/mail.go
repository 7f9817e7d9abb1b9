package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
)

// MailKind is what intake made of a message taken from the mailbox.
type MailKind string

// Intake outcomes. Only report and reply touch a report's timeline; the
// others are kept for admins.
const (
	MailReport    MailKind = "report"    // opened a new report
	MailReply     MailKind = "reply"     // added to an existing report
	MailAutoReply MailKind = "autoreply" // vacation notice, list mail, other automatic mail
	MailBounce    MailKind = "bounce"    // delivery status notification or empty return path
	MailDuplicate MailKind = "duplicate" // a Message-ID already taken, in other bytes
	MailSetAside  MailKind = "set_aside" // kept failing; kept raw with the error
)

// InboundMail is a parsed message as the mail gateway hands it over. The raw
// bytes come as a reader so that a large message is never held whole.
type InboundMail struct {
	Mailbox     string
	UIDValidity uint32
	UID         uint32

	// OpenRaw reads the message as received from its start; it may be called
	// again (a group retried message by message), and is read in chunks.
	OpenRaw   func() io.Reader
	RawSize   int64
	RawSHA256 string // hex; computed while the message was fetched

	MessageID  string   // "<id@host>", "" when the mail has none
	InReplyTo  []string // "<id@host>" each
	References []string
	FromEmail  string // the From address; Reply-To is never used for identity
	FromName   string
	To         []string // To, Cc, Delivered-To, X-Original-To: picks the program
	Subject    string
	Body       string
	Files      []NewAttachment
	// Spooled is nil or as long as Files: Spooled[i], when set, holds the
	// bytes of Files[i] (whose Data is then nil) out of memory.
	Spooled []*SpooledFile
	// Omitted says, one line each, what was left out (over a limit, unreadable)
	// so the timeline can say it.
	Omitted []string
	// Auto is why the mail is automatic ("" for mail a person wrote).
	Auto string
	// Bounce says Auto is a delivery failure; BouncedIDs are the Message-IDs
	// of the original mails it names.
	Bounce     bool
	BouncedIDs []string
	// DSN says the mail is a delivery report as a mail server sends it: a
	// multipart/report of report-type delivery-status (RFC 3464) from a
	// bounce sender (an empty Return-Path, or From MAILER-DAEMON or
	// postmaster). Only such a mail marks mail of ours failed.
	DSN bool
	// PGP is what was found about OpenPGP: encryption, signature, keys.
	PGP MailPGP
}

// IngestOptions are the mail gateway's parts of ingest that db cannot know.
type IngestOptions struct {
	// Ack composes the acknowledgement of a new report; nil or a nil result
	// sends none. It runs inside the transaction, so the ack exists exactly
	// when the report does.
	//
	// Rule against a double ack: the acknowledgement of a mailed report is
	// written here, by intake. A Notifier must not acknowledge an
	// EventReportCreated whose Report.Source is SourceEmail (it may still
	// tell staff about it).
	Ack func(r *Report, in *InboundMail) *OutMail
	// Limits bound the body text; attachments were bounded by the parser.
	MaxTextRunes int
	// ProgramID is the program of an organisation's mailbox: new reports go
	// there (or to another program of its organisation by address). 0: the
	// environment's mailbox (by address, else the default program).
	ProgramID int64
}

// IngestResult says what a message became.
type IngestResult struct {
	Kind     MailKind
	ReportID int64
	Ref      string
	// Again is true when these exact bytes were taken before (a re-fetch after
	// a crash or a UIDVALIDITY change): nothing was added.
	Again bool
	// Unverified says a reply reached its report by what its sender could
	// forge (the subject tag, the reporter's own Message-ID) and waits for a
	// triager (see threadOf).
	Unverified bool
}

// IngestMail stores one message in one transaction: as a new report, a reply
// threaded onto its report, or a kept automatic mail; its raw bytes; and the
// mailbox position. So a message is either wholly taken (and may then be
// flagged and moved) or not at all.
func (db *DB) IngestMail(ctx context.Context, in *InboundMail, opts IngestOptions) (*IngestResult, error) {
	res, err := db.IngestMailBatch(ctx, []*InboundMail{in}, opts)
	if err != nil {
		return nil, err
	}
	return res[0], nil
}

// IngestMailBatch stores messages (in UID order) in one Update: one commit
// for a group is what lets intake keep pace with the IMAP fetch. Each
// message is taken in its own savepoint inside the job, so a message that
// fails is the only one not taken: the ones before it commit with the
// mailbox position after them, the ones after it are not tried. It returns
// the results of the messages it stored and, when it stopped early, the
// error of ins[len(res)]; so the mailbox position never passes a failure the
// gateway has not yet recorded. When the transaction itself fails (the
// commit, a full disk), nothing is stored and the first message gets the
// error.
func (db *DB) IngestMailBatch(ctx context.Context, ins []*InboundMail, opts IngestOptions) ([]*IngestResult, error) {
	var res []*IngestResult
	var failed error
	err := db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		tx.keepAudience()
		res, failed = res[:0], nil
		sp, err := prepareSavepoint(ctx, tx, "mail")
		if err != nil {
			return err
		}
		defer sp.close()
		for _, in := range ins {
			var r *IngestResult
			err, lost := sp.run(tx, func() error {
				var err error
				r, err = tx.ingestMail(ctx, in, opts)
				return err
			})
			if lost {
				return err // the transaction is gone, and every mail of it
			} else if err != nil {
				failed = err
				break
			}
			res = append(res, r)
		}
		return tx.advanceMailboxes(ctx, ins[:len(res)])
	})
	if err != nil {
		return nil, err
	}
	return res, failed
}

func (tx *Tx) ingestMail(ctx context.Context, in *InboundMail, opts IngestOptions) (*IngestResult, error) {
	if in.RawSHA256 == "" {
		return nil, fmt.Errorf("db: ingest mail: no raw hash")
	}
	var kind MailKind
	var reportID int64
	var ref string
	err := tx.QueryRowContext(ctx, `SELECT r.kind, COALESCE(r.report_id, 0), COALESCE(p.prefix || '-' || rp.number, '')
		FROM mail_raw r LEFT JOIN reports rp ON rp.id = r.report_id LEFT JOIN programs p ON p.id = rp.program_id
		WHERE r.sha256 = ?`, in.RawSHA256).Scan(&kind, &reportID, &ref)
	if err == nil {
		return &IngestResult{Kind: kind, ReportID: reportID, Ref: ref, Again: true}, nil
	} else if !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("db: look up raw mail: %w", err)
	}
	// Retention removed these very bytes: taking them again would bring a
	// deleted report back.
	if gone, err := tx.mailDisposed(ctx, false, in.RawSHA256); err != nil {
		return nil, err
	} else if gone {
		return &IngestResult{Kind: MailDuplicate, Again: true}, nil
	}

	key := in.MessageID
	if key == "" {
		key = "sha256:" + in.RawSHA256
	}
	if in.Auto != "" {
		return tx.keepAutoMail(ctx, in, key)
	}
	if in.MessageID != "" {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM mail_raw WHERE dedupe_key = ?) + (SELECT COUNT(*) FROM messages WHERE message_id = ?)`,
			key, in.MessageID).Scan(&n); err != nil {
			return nil, fmt.Errorf("db: look up message id: %w", err)
		}
		if n == 0 {
			if gone, err := tx.mailDisposed(ctx, true, key); err != nil {
				return nil, err
			} else if gone {
				n = 1
			}
		}
		if n > 0 {
			if _, err := tx.storeRawMail(ctx, in, MailDuplicate, "", 0, 0, "A message with this Message-ID was already received; this copy was kept but not added.", 0); err != nil {
				return nil, err
			}
			return &IngestResult{Kind: MailDuplicate}, nil
		}
	}

	if staff, err := tx.answersStaffMail(ctx, in); err != nil {
		return nil, err
	} else if staff {
		kept := *in
		kept.Auto = "an answer to a notice sent to staff"
		return tx.keepAutoMail(ctx, &kept, key)
	}
	th, err := tx.threadOf(ctx, in)
	if err != nil {
		return nil, err
	}
	if th.reportID != 0 {
		return tx.ingestReply(ctx, in, key, th)
	}
	return tx.ingestReport(ctx, in, key, opts)
}
