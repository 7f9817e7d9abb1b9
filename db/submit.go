package db

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/disclose/disclose/db/cwe"
)

// Limits bound what one submission may carry. The web form shows them.
type Limits struct {
	MaxFiles     int   // attachments per submission or message
	MaxFileBytes int64 // bytes per attachment
	MaxTextRunes int   // characters per long text field
}

// DefaultLimits are used when the operator sets nothing.
var DefaultLimits = Limits{MaxFiles: 5, MaxFileBytes: 10 << 20, MaxTextRunes: 100_000}

// NewAttachment is a file as received, before it is stored.
type NewAttachment struct {
	Filename    string
	ContentType string
	Data        []byte

	// spooled, when set, holds the bytes instead of Data: a mailed file
	// kept in the gateway's spool (mail_attach.go).
	spooled *SpooledFile
}

// NewReport is a submission as received from the web form or a mail.
type NewReport struct {
	sealed    bool   // the text fields are sealed already (seal_write.go)
	emailHash []byte // keyed hash of Reporter.Email, taken before sealing (mail_address.go)

	ProgramID     int64
	Source        Source
	Title         string
	Asset         string
	CWE           string
	Description   string
	Steps         string
	Impact        string
	CVSSVector    string
	AlreadyPublic bool
	Exploited     bool
	Reporter      Reporter
	Attachments   []NewAttachment
	// MessageID is the RFC 5322 Message-ID of a mail that opened the report.
	MessageID string
	// SubmissionKey is the form's one-time key: a form sent twice (a reload,
	// a double click) stores one report.
	SubmissionKey string

	// session is a sealed copy's session key, for the mail composed about
	// the report in the writing transaction (seal_write.go).
	session *sealSession
}

// NewSubmissionKey makes a form's one-time key (NewReport.SubmissionKey):
// 32 hex digits, of which the first 12 are the time in milliseconds and the
// other 20 are random (80 bits). Keys made later sort later, so storing one
// appends to the end of the unique index instead of dirtying a random page
// of it with every submission; the random part keeps another person's key
// unguessable, which is what stops them from claiming a form's report.
func NewSubmissionKey(now time.Time) (string, error) {
	var b [16]byte
	ms := uint64(now.UnixMilli())
	for i := 5; i >= 0; i-- {
		b[i] = byte(ms)
		ms >>= 8
	}
	if _, err := rand.Read(b[6:]); err != nil {
		return "", fmt.Errorf("db: submission key: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// Validate checks every field and returns one message per bad field, so that
// a form can show them all at once. It normalises whitespace in place.
func (in *NewReport) Validate(lim Limits) FieldErrors {
	errs := FieldErrors{}
	in.Title = strings.TrimSpace(in.Title)
	in.Asset = strings.TrimSpace(in.Asset)
	in.CWE = strings.TrimSpace(in.CWE)
	in.CVSSVector = strings.TrimSpace(in.CVSSVector)
	in.Reporter.Name = strings.TrimSpace(in.Reporter.Name)
	in.Reporter.Email = strings.TrimSpace(in.Reporter.Email)

	switch n := utf8.RuneCountInString(in.Title); {
	case n == 0:
		errs["title"] = "Give the report a short title."
	case n > 200:
		errs["title"] = fmt.Sprintf("Keep the title under 200 characters (it has %d).", n)
	}
	if utf8.RuneCountInString(in.Asset) > 200 {
		errs["asset"] = "Keep the affected asset under 200 characters."
	}
	if in.CWE != "" {
		if _, ok := cwe.Lookup(in.CWE); !ok {
			errs["cwe"] = "Choose a weakness type from the list, or leave it empty."
		}
	}
	if strings.TrimSpace(in.Description) == "" {
		errs["description"] = "Describe the vulnerability."
	}
	for field, text := range map[string]string{"description": in.Description, "steps": in.Steps, "impact": in.Impact} {
		if n := utf8.RuneCountInString(text); n > lim.MaxTextRunes {
			errs[field] = fmt.Sprintf("Keep this under %s (it has %d); attach longer material as a file.", count(lim.MaxTextRunes, "character", "characters"), n)
		}
	}
	if in.CVSSVector != "" {
		if _, err := ParseCVSS(in.CVSSVector); err != nil {
			errs["cvss"] = ErrorMessage(err)
		}
	}
	if utf8.RuneCountInString(in.Reporter.Name) > 100 {
		errs["name"] = "Keep your name or handle under 100 characters."
	}
	if in.Reporter.Email != "" {
		if a, err := mail.ParseAddress(in.Reporter.Email); err != nil || a.Address != in.Reporter.Email || len(in.Reporter.Email) > 254 {
			errs["email"] = "Give an email address like name@example.org, or leave it empty."
		}
	}
	switch in.Reporter.Credit {
	case CreditName, CreditHandle:
		if in.Reporter.Name == "" {
			errs["credit"] = "To be credited, give a name or handle above, or choose anonymous."
		}
	case CreditAnonymous, "":
		in.Reporter.Credit = CreditAnonymous
	default:
		errs["credit"] = "Choose how you wish to be credited."
	}
	validateAttachments(in.Attachments, lim, errs)
	if len(errs) == 0 {
		return nil
	}
	return errs
}

func validateAttachments(files []NewAttachment, lim Limits, errs FieldErrors) {
	if len(files) > lim.MaxFiles {
		errs["attachments"] = Keyed(MsgTooManyFiles, strconv.Itoa(lim.MaxFiles), strconv.Itoa(len(files)))
		return
	}
	for _, f := range files {
		if f.Size() > lim.MaxFileBytes {
			errs["attachments"] = Keyed(MsgFileTooLarge, strconv.Quote(f.Filename), strconv.FormatInt(f.Size(), 10), strconv.FormatInt(lim.MaxFileBytes, 10))
			return
		}
	}
}

// Receipt is what a researcher is shown once after a submission committed.
type Receipt struct {
	ReportID int64
	Ref      string
	Code     string // shown once; only its hash is stored
}

// CreateReport stores a validated submission: reporter, report with its next
// per-program number, the first timeline entry with attachments, and an
// audit row, all in one transaction. The receipt code exists only in the
// returned value.
func (db *DB) CreateReport(ctx context.Context, in *NewReport) (*Receipt, error) {
	if errs := in.Validate(Limits{MaxFiles: 1 << 30, MaxFileBytes: 1 << 62, MaxTextRunes: 1 << 30}); errs != nil {
		return nil, Errorf(EINVALID, "The report is incomplete: %s", firstFieldError(errs))
	}
	code, hash, err := newReceiptCode()
	if err != nil {
		return nil, err
	}
	in = db.withAddressHash(in)
	if db.sealOn {
		// Seal outside the single writer, so that many submissions encrypt
		// in parallel and the write transaction stays short.
		if in, err = db.sealNewReport(in); err != nil {
			return nil, err
		}
		defer in.session.close()
	}
	var rc *Receipt
	err = db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		tx.keepAudience()
		var err error
		rc, err = tx.createReport(ctx, in, hash)
		return err
	})
	if err != nil {
		return nil, err
	}
	rc.Code = code
	return rc, nil
}

func (tx *Tx) createReport(ctx context.Context, in *NewReport, receiptHash []byte) (*Receipt, error) {
	now := formatTime(tx.now)
	in = tx.db.withAddressHash(in)
	if tx.db.sealOn && !in.sealed {
		var err error
		if in, err = tx.db.sealNewReport(in); err != nil {
			return nil, err
		}
		defer in.session.close()
	}
	var submissionKey any
	if in.SubmissionKey != "" {
		submissionKey = in.SubmissionKey
	}
	var prefix, programName string
	var number int64
	var frDays, trDays, discDays int64
	err := tx.QueryRowContext(ctx, `UPDATE programs SET next_number = next_number + 1 WHERE id = ? AND archived = 0
		RETURNING prefix, name, next_number - 1, first_response_days, triage_days, disclosure_days`, in.ProgramID).Scan(&prefix, &programName, &number, &frDays, &trDays, &discDays)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, Errorf(EINVALID, "Choose a program for the report.")
	} else if err != nil {
		return nil, fmt.Errorf("db: take report number: %w", err)
	}
	var reporterID any
	if r := in.Reporter; r.Name != "" || r.Email != "" || r.PGPKey != "" {
		res, err := tx.ExecContext(ctx, `INSERT INTO reporters (name, email, pgp_key, pgp_fingerprint, credit, sealed, email_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			r.Name, r.Email, r.PGPKey, r.PGPFingerprint, string(r.Credit), in.sealed, in.emailHash, now)
		if err != nil {
			return nil, fmt.Errorf("db: insert reporter: %w", err)
		}
		if reporterID, err = res.LastInsertId(); err != nil {
			return nil, fmt.Errorf("db: reporter id: %w", err)
		}
	}
	var score any
	var severity Severity
	if in.CVSSVector != "" {
		c, err := ParseCVSS(in.CVSSVector)
		if err != nil {
			return nil, err
		}
		score, severity = c.Score, c.Severity
	}
	due := newReportDue(tx.now, frDays, trDays, discDays)
	res, err := tx.ExecContext(ctx, `INSERT INTO reports (program_id, number, reporter_id, source, state, title, asset, cwe,
		description, steps, impact, cvss_vector, cvss_score, severity, already_public, exploited, receipt_hash, submission_key, sealed,
		created_at, updated_at, due_at, due_kind, due_warn_at)
		VALUES (?, ?, ?, ?, 'new', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		in.ProgramID, number, reporterID, string(in.Source), in.Title, in.Asset, in.CWE,
		in.Description, in.Steps, in.Impact, in.CVSSVector, score, string(severity), in.AlreadyPublic, in.Exploited, receiptHash, submissionKey, in.sealed,
		now, now, due.at, due.kind, due.warnAt)
	if isUnique(err) && in.SubmissionKey != "" {
		// The same form was sent again: say which report it became. The
		// receipt hash and the number are unique too, so the report with
		// this key is looked up rather than assumed. The caller's
		// savepoint undoes the number taken above.
		var ref string
		qerr := tx.QueryRowContext(ctx, `SELECT p.prefix || '-' || r.number FROM reports r JOIN programs p ON p.id = r.program_id
			WHERE r.submission_key = ?`, in.SubmissionKey).Scan(&ref)
		if qerr == nil {
			return nil, &Error{Code: ECONFLICT, Message: "This report was already received, as " + ref + ".", Ref: ref}
		} else if !errors.Is(qerr, sql.ErrNoRows) {
			return nil, fmt.Errorf("db: find resubmitted report: %w", qerr)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("db: insert report: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return nil, fmt.Errorf("db: report id: %w", err)
	}
	ref := fmt.Sprintf("%s-%d", prefix, number)
	if in.session != nil {
		// Mail composed about the report in this transaction is sealed
		// under its session key (Tx.sealTexts).
		tx.session, tx.sessionReport = in.session, id
		defer func() { tx.session, tx.sessionReport = nil, 0 }()
	}
	if _, err := tx.addMessage(ctx, &NewMessage{ReportID: id, Kind: KindInbound, Public: true, Source: in.Source,
		Event: "submitted", MessageID: in.MessageID, Attachments: in.Attachments, sealed: in.sealed}); err != nil {
		return nil, err
	}
	if err := tx.audit(ctx, ActorReporter, "report.submit", ref, "source="+string(in.Source)); err != nil {
		return nil, err
	}
	if err := tx.recordEvent(ctx, EventReportCreated, id, 0, ActorReporter, "", "", in.ProgramID); err != nil {
		return nil, err
	}
	return &Receipt{ReportID: id, Ref: ref}, nil
}

// reportDue is a report's next deadline as the queue stores it.
type reportDue struct {
	at, warnAt int64 // unix seconds
	kind       string
}

// newReportDue is the next deadline of a report created at created, as the
// view report_next_deadline (migration 0004) computes it for a new report:
// first response, triage and disclosure clocks run, resolution does not yet.
// Writing it with the insert spares the insert trigger's second write of
// the whole row, the largest cost of a submission; TestNewReportDueMatchesView
// keeps the two definitions equal.
func newReportDue(created time.Time, frDays, trDays, discDays int64) reportDue {
	c := created.Unix()
	d := reportDue{at: c + frDays*86400, kind: "first_response"}
	target := frDays
	if t := c + trDays*86400; t < d.at {
		d.at, d.kind, target = t, "triage", trDays
	}
	if t := c + discDays*86400; t < d.at {
		d.at, d.kind, target = t, "disclosure", discDays
	}
	d.warnAt = d.at - max(172800, target*86400/5)
	return d
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
