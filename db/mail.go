package db

import "io"

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
	// triager.
	Unverified bool
	// Contact is the reporter address a new report kept ("" when the From
	// address was not usable): the address its acknowledgement may go to.
	Contact string
}
