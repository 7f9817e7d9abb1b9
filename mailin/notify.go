package mailin

import (
	"context"
	"fmt"
	"net/mail"
	"net/url"
	"strings"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/views/wording"
)

// Kinds of outbox mail.
const (
	MailAck          = db.AckKind      // a web report was received (capped per recipient by db)
	MailReply        = "reply"         // a triager's public reply
	MailState        = "state"         // the report's state changed
	MailReminder     = "reminder"      // needs_info, still waiting on the reporter
	MailStaffNew     = "staff.new"     // a member hears of a new report
	MailStaffMessage = "staff.message" // a member hears of a reporter's reply
	MailDigest       = "digest"        // a member's daily digest
)

// Notifier composes the mail events cause (Events calls it in the
// transaction that writes the mail and marks the event done). What reporters get: an acknowledgement of a web report,
// triagers' public replies, the state changes that concern them, and
// needs_info reminders. What staff get: new reports and reporter replies in
// their programs, content-free (reference and link; the title only when the
// user asked and the report is not sealed).
//
// Reports opened by email are not acknowledged here: the mail intake sends
// its own acknowledgement as an answer to the reporter's mail, and two would
// confuse. The receipt code is never mailed: it is shown once in the browser
// and a mailbox is no place for a credential.
type Notifier struct {
	BaseURL *url.URL
	// Domain is the right part of the Message-IDs we create: the portal's
	// host name, or the From address's domain.
	Domain string
	// ReplyAddress is where reporters write (the security address); empty
	// when reporters cannot answer by mail.
	ReplyAddress string
	// Encrypting says an Encrypter is wired: mail to a reporter whose key
	// is known is queued encrypted, with only the reference as subject.
	Encrypting bool
	// StaffReportPath is the dashboard path of a report, with %s for its
	// reference; "/triage/reports/%s" when empty.
	StaffReportPath string
	// Team signs the mails ("The security team" when empty).
	Team string
}

// newMessageID makes a Message-ID under our domain with 160 random bits,
// in creation order (db.NewMessageID).
func (n *Notifier) newMessageID() (string, error) {
	return db.NewMessageID(time.Now(), n.Domain), nil
}

// Notify composes the mails ev causes.
func (n *Notifier) Notify(ctx context.Context, ev *db.Event) ([]*db.OutMail, error) {
	var out []*db.OutMail
	add := func(m *db.OutMail, err error) error {
		if err != nil {
			return err
		}
		if m != nil {
			out = append(out, m)
		}
		return nil
	}
	var err error
	switch ev.Kind {
	case db.EventReportCreated:
		if ev.Report.Source != db.SourceEmail {
			err = add(n.toReporter(ev, MailAck, n.ackBody(ev), true))
		}
	case db.EventReply:
		err = add(n.toReporter(ev, MailReply, n.replyBody(ev), false))
	case db.EventState:
		if body, ok := n.stateBody(ev); ok {
			err = add(n.toReporter(ev, MailState, body, true))
		}
	case db.EventReminder:
		err = add(n.toReporter(ev, MailReminder, n.reminderBody(ev), true))
	}
	if err != nil {
		return nil, err
	}
	for _, rc := range ev.Staff {
		if err := add(n.toStaff(ev, rc)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// toReporter addresses a mail to the reporter in the report's thread, or
// returns nil when they left no usable address.
func (n *Notifier) toReporter(ev *db.Event, kind, body string, auto bool) (*db.OutMail, error) {
	r := ev.Report
	to := r.Reporter.Email
	if to != db.SealedText {
		// db.SealedText: the address is sealed and the key locked; the
		// outbox stores the sealed address and the sender opens it later.
		a, err := mail.ParseAddress(r.Reporter.Email)
		if r.Reporter.Email == "" || err != nil {
			return nil, nil
		}
		to = a.Address
	}
	id, err := n.newMessageID()
	if err != nil {
		return nil, err
	}
	encrypt := n.Encrypting && r.Reporter.PGPKey != ""
	subject := "[" + r.Ref() + "]"
	if !ev.Sealed && !encrypt {
		subject += " " + reporterSubject(kind, ev)
	}
	var atts []int64
	if kind == MailReply {
		for _, at := range ev.Attachments {
			atts = append(atts, at.ID)
		}
	}
	return &db.OutMail{ReportID: r.ID, Kind: kind, MessageID: id, InReplyTo: ev.InReplyTo, References: ev.References,
		To: to, Subject: subject, Body: body, AutoSubmitted: auto, Encrypt: encrypt, Attachments: atts}, nil
}

// reporterSubject is what follows the reference in the subject of a mail to
// the reporter: words of ours for what the mail is, never the title or
// anything else a reporter typed. The address a report names is whatever
// its sender typed, so a stranger can file a report in a victim's name and
// have every mail about it reach the victim, signed by the team key; a
// title in its subject would put the stranger's words there.
func reporterSubject(kind string, ev *db.Event) string {
	switch kind {
	case MailAck:
		return "Report received"
	case MailReply:
		return "Reply from the security team"
	case MailReminder:
		return "Waiting for your answer"
	case MailState:
		return "Status: " + wording.State(ev.ToState)
	}
	return "About your report"
}

// toStaff is a content-free notice to one member.
func (n *Notifier) toStaff(ev *db.Event, rc *db.Recipient) (*db.OutMail, error) {
	r := ev.Report
	id, err := n.newMessageID()
	if err != nil {
		return nil, err
	}
	kind, what, line := MailStaffNew, "New report", "A new report arrived"
	switch ev.Kind {
	case db.EventReporterMessage:
		kind, what, line = MailStaffMessage, "Reporter replied", "The reporter wrote again on"
	case db.EventUnverifiedMail:
		kind, what, line = MailStaffMessage, "Mail to check", "A mail that may not be the reporter's (found by the subject tag alone) waits for a triager on"
	}
	subject := "[" + r.Ref() + "] " + what
	if rc.IncludeTitle && !ev.Sealed {
		subject += ": " + oneLine(r.Title)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s in %s.\n\nOpen it in the dashboard:\n%s\n\n", line, r.Ref(), oneLine(r.ProgramName), n.staffURL(r.Ref()))
	b.WriteString("This notice carries no report content on purpose; read the report in the dashboard.\n")
	b.WriteString("You receive it as a member of the program. Choose every event, a daily digest or none in your account settings.\n")
	return &db.OutMail{ReportID: r.ID, UserID: rc.UserID, Kind: kind, MessageID: id, To: rc.Email, Subject: subject,
		Body: b.String(), AutoSubmitted: true}, nil
}

// Digest composes a member's daily digest (Jobs).
func (n *Notifier) Digest(rc *db.Recipient, items []*db.DigestItem) (*db.OutMail, error) {
	id, err := n.newMessageID()
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "What happened in your programs since the last digest (%d events):\n\n", len(items))
	for _, it := range items {
		what := "new report"
		switch it.Event {
		case db.EventReporterMessage:
			what = "reporter replied"
		case db.EventUnverifiedMail:
			what = "mail to check"
		}
		fmt.Fprintf(&b, "%s  %-12s %s", it.At.UTC().Format("2006-01-02 15:04 UTC"), it.Ref, what)
		if it.Title != "" {
			fmt.Fprintf(&b, ": %s", oneLine(it.Title))
		}
		fmt.Fprintf(&b, "\n    %s\n", n.staffURL(it.Ref))
	}
	b.WriteString("\nYou receive this digest once a day. Choose every event, a daily digest or none in your account settings.\n")
	return &db.OutMail{UserID: rc.UserID, Kind: MailDigest, MessageID: id, To: rc.Email,
		Subject: fmt.Sprintf("Security reports: daily digest (%d events)", len(items)), Body: b.String(), AutoSubmitted: true}, nil
}

func (n *Notifier) staffURL(ref string) string {
	p := n.StaffReportPath
	if p == "" {
		p = "/triage/reports/%s"
	}
	return n.absURL(fmt.Sprintf(p, url.PathEscape(ref)))
}

func (n *Notifier) absURL(path string) string {
	return strings.TrimRight(n.BaseURL.String(), "/") + path
}

func (n *Notifier) team() string {
	if n.Team != "" {
		return n.Team
	}
	return "The security team"
}
