package mailin

import (
	"context"
	"strings"

	"github.com/disclose/disclose/db"
)

// Updater is the database's one write path (db.DB.Update): intake stores
// what it decided about a batch of messages in one of its transactions.
type Updater interface {
	Update(ctx context.Context, fn func(ctx context.Context, tx *db.Tx) error) error
}

// IngestOptions are intake's settings for storing mail.
type IngestOptions struct {
	// MaxTextRunes cuts a new report's text (the raw mail is kept whole); 0
	// does not cut.
	MaxTextRunes int
	// OwnAddresses are the portal's own addresses: mail from them is never
	// acknowledged.
	OwnAddresses []string
	// MessageIDDomain is the right part of the acknowledgement's Message-ID;
	// no acknowledgement is sent when it is empty.
	MessageIDDomain string
	// ProgramID is the program of an organisation's mailbox (Config.ProgramID):
	// new reports go there, or to another program of the same organisation
	// by address. 0: the environment's mailbox.
	ProgramID int64
}

// IngestMailBatch stores a batch of parsed messages in one transaction (a
// group commit), each in its own attempt (db.Tx.Attempt), and the mailbox
// position of those taken in the same transaction. It stops at the first
// message that fails: the results are those of the messages before it, all
// committed, and the error is the failing message's, so the stored position
// never passes a failure that is not recorded. An error with no results
// may also mean the transaction was lost.
func IngestMailBatch(ctx context.Context, u Updater, ins []*db.InboundMail, opts IngestOptions) ([]*db.IngestResult, error) {
	var res []*db.IngestResult
	var failed error
	err := u.Update(ctx, func(ctx context.Context, tx *db.Tx) error {
		tx.KeepAudience()
		res, failed = res[:0], nil
		for _, in := range ins {
			var r *db.IngestResult
			err, lost := tx.Attempt(func() error {
				var err error
				r, err = take(ctx, tx, in, opts)
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
		return tx.AdvanceMailboxes(ctx, ins[:len(res)])
	})
	if err != nil {
		return nil, err
	}
	return res, failed
}

// IngestMail is IngestMailBatch for one message.
func IngestMail(ctx context.Context, u Updater, in *db.InboundMail, opts IngestOptions) (*db.IngestResult, error) {
	res, err := IngestMailBatch(ctx, u, []*db.InboundMail{in}, opts)
	if err != nil {
		return nil, err
	}
	return res[0], nil
}

// take decides what one message becomes and stores it through tx:
//
//   - the same bytes taken before add nothing (a re-fetch after a crash or a
//     UIDVALIDITY change);
//   - automatic mail (Auto-Submitted, Precedence, bounces: InboundMail.Auto,
//     set by the parser) never opens or answers a report; it is kept for
//     admins, and a delivery report may mark mail of ours failed;
//   - a Message-ID received before is kept as a duplicate, not added;
//   - an answer to a notice sent to staff is kept like automatic mail: a
//     triager answering from their mailbox must not become the reporter;
//   - a mail that answers a report (db.Tx.ThreadOf) is added to it, kept
//     unverified when found only by what its sender could forge, when the
//     mailbox may file into the report's organisation (filesInto); else it
//     opens a report like any other mail;
//   - anything else opens a report in the program of the first address it
//     was sent to that has one, else the default program, and is
//     acknowledged (ack), capped per recipient by db.Tx.EnqueueAck.
func take(ctx context.Context, tx *db.Tx, in *db.InboundMail, opts IngestOptions) (*db.IngestResult, error) {
	if r, err := tx.RawMailTaken(ctx, in.RawSHA256); err != nil || r != nil {
		return r, err
	}
	if in.Auto != "" {
		return tx.KeepAutoMail(ctx, in)
	}
	if dup, err := tx.MessageIDTaken(ctx, in); err != nil {
		return nil, err
	} else if dup {
		return tx.KeepDuplicate(ctx, in, "A message with this Message-ID was already received; this copy was kept but not added.")
	}
	if staff, err := tx.AnswersStaffMail(ctx, in); err != nil {
		return nil, err
	} else if staff {
		kept := *in
		kept.Auto = "an answer to a notice sent to staff"
		return tx.KeepAutoMail(ctx, &kept)
	}
	reportID, weak, err := tx.ThreadOf(ctx, in)
	if err != nil {
		return nil, err
	}
	if reportID != 0 {
		if ok, err := filesInto(ctx, tx, reportID, opts.ProgramID); err != nil {
			return nil, err
		} else if ok {
			return tx.AddMailReply(ctx, in, reportID, weak)
		}
	}
	programID, err := programFor(ctx, tx, in.To, opts.ProgramID)
	if err != nil {
		return nil, err
	}
	r, err := tx.CreateReportFromMail(ctx, in, programID, opts.MaxTextRunes)
	if err != nil {
		return nil, err
	}
	if m := ack(r, in, opts); m != nil {
		if err := tx.EnqueueAck(ctx, m); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// filesInto says whether mail read from a mailbox (mailbox: its program,
// 0 for the environment's) may be added to report reportID. An
// organisation's mailbox files only into its own organisation: a Message-ID
// or subject tag copied from another tenant's thread (a list archive, a
// forwarded mail) must not add the words sent to one organisation's
// mailbox to another's report, where that organisation's staff and
// reporter would read them; such a mail opens a report where it arrived.
// The environment's mailbox is the instance's address, the one every mail
// the portal sends comes from, so replies of every organisation's
// reporters arrive there: it files into any.
func filesInto(ctx context.Context, tx *db.Tx, reportID, mailbox int64) (bool, error) {
	if mailbox == 0 {
		return true, nil
	}
	org, err := tx.ProgramOrg(ctx, mailbox)
	if err != nil {
		return false, err
	}
	reportOrg, err := tx.ReportOrg(ctx, reportID)
	return reportOrg == org && err == nil, err
}

// programFor picks the program a new report by mail goes to: the first of
// the addresses the mail was sent to (To, Cc, Delivered-To, X-Original-To,
// in that order) that is a program's, else the default program. Mail of an
// organisation's mailbox (mailbox: its program) picks among the programs of
// that organisation only and falls back to the mailbox's program; the
// environment's mailbox (mailbox 0) is the default program's organisation's.
// A To header, which anyone writes, never moves a report into another
// organisation.
func programFor(ctx context.Context, tx *db.Tx, to []string, mailbox int64) (int64, error) {
	byAddr, def, err := tx.ProgramAddresses(ctx, to)
	if err != nil {
		return 0, err
	}
	home := mailbox
	if home == 0 {
		home = def
	}
	org, err := tx.ProgramOrg(ctx, home)
	if err != nil {
		return 0, err
	}
	for _, id := range byAddr {
		if id == 0 {
			continue
		}
		if o, err := tx.ProgramOrg(ctx, id); err != nil {
			return 0, err
		} else if o == org {
			return id, nil
		}
	}
	return home, nil
}

// ack composes the acknowledgement of a mailed report r, or nil when none
// is due: no usable sender address, automatic mail, mail from one of our
// own addresses. It carries the reference in the subject so replies
// thread, and nothing of the mail (not its subject, not its text), so a
// forged From learns nothing and a stranger cannot make the portal mail
// their words to someone else under the team's name. It is marked
// auto-submitted (RFC 3834) so that auto-responders do not answer it.
func ack(r *db.IngestResult, m *db.InboundMail, opts IngestOptions) *db.OutMail {
	if r.Contact == "" || m.FromEmail == "" || m.Auto != "" || opts.MessageIDDomain == "" {
		return nil
	}
	for _, own := range opts.OwnAddresses {
		if strings.EqualFold(own, m.FromEmail) {
			return nil
		}
	}
	refs := append([]string(nil), m.References...)
	if m.MessageID != "" {
		refs = append(refs, m.MessageID)
	}
	if len(refs) > 20 {
		refs = refs[len(refs)-20:]
	}
	return &db.OutMail{
		ReportID:      r.ReportID,
		Kind:          db.AckKind,
		MessageID:     NewMessageID(opts.MessageIDDomain),
		InReplyTo:     m.MessageID,
		References:    refs,
		To:            m.FromEmail,
		Subject:       "[" + r.Ref + "] Report received",
		Body:          ackBody(r.Ref),
		AutoSubmitted: true,
	}
}

func ackBody(ref string) string {
	return "Thank you for your report. We received it and filed it as " + ref + `.

We will read it and get back to you. To add information, reply to this mail
and keep [` + ref + `] in the subject.

This acknowledgement was sent automatically.
`
}
