package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
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
	// Omitted says, one line each, what was left out (over a limit, unreadable)
	// so the timeline can say it.
	Omitted []string
	// Auto is why the mail is automatic ("" for mail a person wrote).
	Auto string
	// Bounce says Auto is a delivery failure; BouncedIDs are the Message-IDs
	// of the original mails it names.
	Bounce     bool
	BouncedIDs []string
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
}

// IngestResult says what a message became.
type IngestResult struct {
	Kind     MailKind
	ReportID int64
	Ref      string
	// Again is true when these exact bytes were taken before (a re-fetch after
	// a crash or a UIDVALIDITY change): nothing was added.
	Again bool
}

// refTag finds a reference like [ACME-12] in a subject.
var refTag = regexp.MustCompile(`\[([A-Z][A-Z0-9]{1,11})-([0-9]{1,12})\]`)

// IngestMail stores one message in one transaction: as a new report, a reply
// threaded onto its report, or a kept automatic mail; its raw bytes; and the
// mailbox position. So a message is either wholly taken (and may then be
// flagged and moved) or not at all.
func (db *DB) IngestMail(ctx context.Context, in *InboundMail, opts IngestOptions) (*IngestResult, error) {
	res, err := db.IngestMailBatch(ctx, []*InboundMail{in}, opts)
	var me *MailError
	if errors.As(err, &me) {
		return nil, me.Err
	} else if err != nil {
		return nil, err
	}
	return res[0], nil
}

// MailError says which message of a batch failed: the ones before it
// committed, the ones after it were not tried.
type MailError struct {
	Index int
	Err   error
}

func (e *MailError) Error() string { return fmt.Sprintf("mail %d of the batch: %v", e.Index, e.Err) }
func (e *MailError) Unwrap() error { return e.Err }

// IngestMailBatch stores messages (in UID order) in one transaction: one
// commit for a group is what lets intake keep pace with the IMAP fetch. When
// a message fails, the group is rolled back and taken again one message per
// transaction up to the failing one, which is returned as a *MailError with
// the results of the messages before it; the ones after it are not tried.
// So the mailbox position never passes a failure the gateway has not yet
// recorded.
func (db *DB) IngestMailBatch(ctx context.Context, ins []*InboundMail, opts IngestOptions) ([]*IngestResult, error) {
	res, err := db.ingestTogether(ctx, ins, opts)
	if err == nil {
		return res, nil
	}
	if len(ins) == 1 {
		return nil, &MailError{Index: 0, Err: err}
	}
	res = res[:0]
	for i, in := range ins {
		r, err := db.ingestTogether(ctx, []*InboundMail{in}, opts)
		if err != nil {
			return res, &MailError{Index: i, Err: err}
		}
		res = append(res, r[0])
	}
	return res, nil
}

func (db *DB) ingestTogether(ctx context.Context, ins []*InboundMail, opts IngestOptions) ([]*IngestResult, error) {
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	res := make([]*IngestResult, len(ins))
	for i, in := range ins {
		if res[i], err = tx.ingestMail(ctx, in, opts); err != nil {
			return nil, err
		}
		if err := tx.advanceMailbox(ctx, in.Mailbox, in.UIDValidity, in.UID); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("db: commit %d mails: %w", len(ins), err)
	}
	return res, nil
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
		if n > 0 {
			if _, err := tx.storeRawMail(ctx, in, MailDuplicate, "", 0, 0, "A message with this Message-ID was already received; this copy was kept but not added.", 0); err != nil {
				return nil, err
			}
			return &IngestResult{Kind: MailDuplicate}, nil
		}
	}

	reportID, err = tx.threadOf(ctx, in)
	if err != nil {
		return nil, err
	}
	if reportID != 0 {
		return tx.ingestReply(ctx, in, key, reportID)
	}
	return tx.ingestReport(ctx, in, key, opts)
}

// threadOf finds the report a mail answers: first by its In-Reply-To and
// References against Message-IDs the portal sent or received, then by a
// [PREFIX-N] subject tag, but only from that report's reporter. Reply-To is
// never consulted: anyone can set it.
func (tx *Tx) threadOf(ctx context.Context, in *InboundMail) (int64, error) {
	ids := append(append([]string(nil), in.InReplyTo...), reversed(in.References)...)
	for _, id := range ids {
		if id == "" {
			continue
		}
		var reportID int64
		err := tx.QueryRowContext(ctx, `SELECT report_id FROM outbox WHERE message_id = ? AND report_id IS NOT NULL
			UNION ALL SELECT report_id FROM messages WHERE message_id = ? LIMIT 1`, id, id).Scan(&reportID)
		if err == nil {
			return reportID, nil
		} else if !errors.Is(err, sql.ErrNoRows) {
			return 0, fmt.Errorf("db: thread by message id: %w", err)
		}
	}
	if in.FromEmail == "" {
		return 0, nil
	}
	for _, m := range refTag.FindAllStringSubmatch(in.Subject, 3) {
		n, _ := strconv.ParseInt(m[2], 10, 64)
		var reportID int64
		var reporterEmail string
		err := tx.QueryRowContext(ctx, `SELECT r.id, COALESCE(rp.email, '') FROM reports r JOIN programs p ON p.id = r.program_id
			LEFT JOIN reporters rp ON rp.id = r.reporter_id WHERE p.prefix = ? AND r.number = ?`, m[1], n).Scan(&reportID, &reporterEmail)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		} else if err != nil {
			return 0, fmt.Errorf("db: thread by subject tag: %w", err)
		}
		if reporterEmail != "" && strings.EqualFold(reporterEmail, in.FromEmail) {
			return reportID, nil
		}
	}
	return 0, nil
}

func reversed(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[len(s)-1-i] = v
	}
	return out
}

func (tx *Tx) ingestReply(ctx context.Context, in *InboundMail, key string, reportID int64) (*IngestResult, error) {
	body := strings.TrimSpace(in.Body)
	if body == "" && len(in.Files) == 0 {
		body = "(The mail had no text.)"
	}
	entryID, ref, err := tx.addReporterMessage(ctx, reportID, &NewMessage{ReportID: reportID, Kind: KindInbound, Public: true,
		Source: SourceEmail, Body: body, MessageID: in.MessageID, Attachments: in.Files})
	if err != nil {
		return nil, err
	}
	if err := tx.noteOmitted(ctx, reportID, in.Omitted); err != nil {
		return nil, err
	}
	if _, err := tx.storeRawMail(ctx, in, MailReply, key, reportID, entryID, "", 0); err != nil {
		return nil, err
	}
	return &IngestResult{Kind: MailReply, ReportID: reportID, Ref: ref}, nil
}

func (tx *Tx) ingestReport(ctx context.Context, in *InboundMail, key string, opts IngestOptions) (*IngestResult, error) {
	programID, err := tx.programForMail(ctx, in.To)
	if err != nil {
		return nil, err
	}
	nr := &NewReport{ProgramID: programID, Source: SourceEmail, Title: mailTitle(in.Subject), Description: strings.TrimSpace(in.Body),
		Attachments: in.Files, MessageID: in.MessageID, Reporter: Reporter{Name: in.FromName, Email: in.FromEmail}}
	if nr.Description == "" {
		nr.Description = "(The mail had no text; see its attachments and the raw message.)"
	}
	max := opts.MaxTextRunes
	if max <= 0 {
		max = 1 << 30
	}
	if errs := nr.Validate(Limits{MaxFiles: 1 << 30, MaxFileBytes: 1 << 62, MaxTextRunes: max}); errs != nil {
		// A mail is never refused for its form: a bad From address only means
		// no reporter address is kept; an over-long text is cut (raw is kept).
		if _, bad := errs["email"]; bad {
			nr.Reporter.Email = ""
		}
		if _, bad := errs["name"]; bad {
			nr.Reporter.Name = ""
		}
		if _, bad := errs["description"]; bad {
			nr.Description = cutRunes(nr.Description, max) + "\n\n[The text was cut here; the raw message is kept in full.]"
		}
		if errs := nr.Validate(Limits{MaxFiles: 1 << 30, MaxFileBytes: 1 << 62, MaxTextRunes: max + 100}); errs != nil {
			return nil, Errorf(EINVALID, "The mail cannot become a report: %s", firstFieldError(errs))
		}
	}
	rc, err := tx.createReport(ctx, nr, nil)
	if err != nil {
		return nil, err
	}
	var entryID int64
	if err := tx.QueryRowContext(ctx, `SELECT id FROM messages WHERE report_id = ? ORDER BY id LIMIT 1`, rc.ReportID).Scan(&entryID); err != nil {
		return nil, fmt.Errorf("db: first entry of %s: %w", rc.Ref, err)
	}
	if err := tx.noteOmitted(ctx, rc.ReportID, in.Omitted); err != nil {
		return nil, err
	}
	if _, err := tx.storeRawMail(ctx, in, MailReport, key, rc.ReportID, entryID, "", 0); err != nil {
		return nil, err
	}
	if opts.Ack != nil && nr.Reporter.Email != "" {
		prefix, number, _ := ParseRef(rc.Ref)
		r := &Report{ID: rc.ReportID, ProgramID: programID, Prefix: prefix, Number: number, Source: SourceEmail, State: StateNew,
			Title: nr.Title, Reporter: nr.Reporter}
		if m := opts.Ack(r, in); m != nil {
			if _, err := tx.enqueueMail(ctx, m); err != nil {
				return nil, err
			}
		}
	}
	return &IngestResult{Kind: MailReport, ReportID: rc.ReportID, Ref: rc.Ref}, nil
}

// programForMail picks the program whose address the mail was sent to, the
// default program otherwise.
func (tx *Tx) programForMail(ctx context.Context, to []string) (int64, error) {
	var id int64
	for _, addr := range to {
		if addr == "" {
			continue
		}
		err := tx.QueryRowContext(ctx, `SELECT id FROM programs WHERE archived = 0 AND email <> '' AND email = ? COLLATE NOCASE`, addr).Scan(&id)
		if err == nil {
			return id, nil
		} else if !errors.Is(err, sql.ErrNoRows) {
			return 0, fmt.Errorf("db: program for address: %w", err)
		}
	}
	if err := tx.QueryRowContext(ctx, `SELECT id FROM programs WHERE is_default = 1`).Scan(&id); err != nil {
		return 0, fmt.Errorf("db: default program: %w", err)
	}
	return id, nil
}

// mailTitle makes a report title of a subject: reply and forward prefixes
// go, an empty subject says so, a long one is cut.
func mailTitle(subject string) string {
	s := strings.Join(strings.Fields(subject), " ")
	for {
		l := strings.ToLower(s)
		cut := false
		for _, p := range []string{"re:", "fwd:", "fw:", "aw:", "wg:", "sv:", "tr:"} {
			if strings.HasPrefix(l, p) {
				s, cut = strings.TrimSpace(s[len(p):]), true
				break
			}
		}
		if !cut {
			break
		}
	}
	if s == "" {
		return "(no subject)"
	}
	return cutRunes(s, 200)
}

func cutRunes(s string, n int) string {
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}

// noteOmitted puts one timeline line per part left out, so that staff and
// reporter see that something did not arrive, and why.
func (tx *Tx) noteOmitted(ctx context.Context, reportID int64, omitted []string) error {
	for _, o := range omitted {
		if _, err := tx.addMessage(ctx, &NewMessage{ReportID: reportID, Kind: KindEvent, Public: true, Source: SourceEmail,
			Event: "mail.omitted", Body: o}); err != nil {
			return err
		}
	}
	return nil
}

// keepAutoMail keeps an automatic mail for admins; a bounce of a mail the
// portal sent marks that outbox row failed.
func (tx *Tx) keepAutoMail(ctx context.Context, in *InboundMail, key string) (*IngestResult, error) {
	kind := MailAutoReply
	if in.Bounce {
		kind = MailBounce
	}
	var reportID int64
	if kind == MailBounce {
		for _, id := range in.BouncedIDs {
			var rid sql.NullInt64
			err := tx.QueryRowContext(ctx, `UPDATE outbox SET status = 'failed', last_error = ? WHERE message_id = ? RETURNING report_id`,
				"bounced: "+cutRunes(in.Auto, 200), id).Scan(&rid)
			if errors.Is(err, sql.ErrNoRows) {
				continue
			} else if err != nil {
				return nil, fmt.Errorf("db: mark bounced mail: %w", err)
			}
			if rid.Valid {
				reportID = rid.Int64
			}
			if err := tx.audit(ctx, ActorSystem, "mail.bounced", id, ""); err != nil {
				return nil, err
			}
		}
	}
	if _, err := tx.storeRawMail(ctx, in, kind, key, reportID, 0, in.Auto, 0); err != nil {
		if strings.Contains(err.Error(), "UNIQUE constraint failed: mail_raw.dedupe_key") {
			if _, err := tx.storeRawMail(ctx, in, MailDuplicate, "", reportID, 0, in.Auto, 0); err != nil {
				return nil, err
			}
			return &IngestResult{Kind: MailDuplicate, ReportID: reportID}, nil
		}
		return nil, err
	}
	return &IngestResult{Kind: kind, ReportID: reportID}, nil
}
