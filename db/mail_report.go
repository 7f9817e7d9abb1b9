package db

import (
	"context"
	"fmt"
	"strings"
)

// ingestReply adds a mail to the report it answers. A mail found by what
// its sender could forge (th.weak: the subject tag, the reporter's own
// Message-ID) is kept unverified for staff unless a key bound to the
// reporter signed the whole of it, naming the report (signedForReport): a
// signature only the reporter can make vouches for the sender as a
// reference only the reporter received does.
func (tx *Tx) ingestReply(ctx context.Context, in *InboundMail, key string, th mailThread) (*IngestResult, error) {
	reportID := th.reportID
	pgp := in.PGP // judged for this report; in is reused when a group is retried
	if err := tx.bindSignature(ctx, reportID, &pgp); err != nil {
		return nil, err
	}
	if th.weak {
		ok, err := tx.signedForReport(ctx, reportID, in.Body, &pgp)
		if err != nil {
			return nil, err
		}
		if !ok {
			return tx.ingestUnverified(ctx, in, key, reportID, &pgp)
		}
	}
	body := strings.TrimSpace(in.Body)
	if body == "" && len(in.Files) == 0 {
		body = "(The mail had no text.)"
	}
	files, later, err := tx.mailFiles(in)
	if err != nil {
		return nil, err
	}
	entryID, ref, err := tx.addReporterMessage(ctx, reportID, &NewMessage{ReportID: reportID, Kind: KindInbound, Public: true,
		Source: SourceEmail, Body: body, MessageID: in.MessageID, Attachments: files})
	if err != nil {
		return nil, err
	}
	if later {
		if err := tx.addMailFiles(ctx, entryID, in); err != nil {
			return nil, err
		}
	}
	if err := tx.storeNewMailPGP(ctx, reportID, entryID, &pgp); err != nil {
		return nil, err
	}
	if err := tx.noteOmitted(ctx, reportID, entryID, in.Omitted); err != nil {
		return nil, err
	}
	if err := tx.noteOtherSender(ctx, reportID, in.FromEmail); err != nil {
		return nil, err
	}
	if _, err := tx.storeRawMail(ctx, in, MailReply, key, reportID, entryID, "", 0); err != nil {
		return nil, err
	}
	return &IngestResult{Kind: MailReply, ReportID: reportID, Ref: ref}, nil
}

func (tx *Tx) ingestReport(ctx context.Context, in *InboundMail, key string, programID int64, max int) (*IngestResult, error) {
	files, later, err := tx.mailFiles(in)
	if err != nil {
		return nil, err
	}
	nr := &NewReport{ProgramID: programID, Source: SourceEmail, Title: mailTitle(in.Subject), Description: strings.TrimSpace(in.Body),
		Attachments: files, MessageID: in.MessageID, Reporter: Reporter{Name: in.FromName, Email: in.FromEmail}}
	if nr.Description == "" {
		nr.Description = "(The mail had no text; see its attachments and the raw message.)"
	}
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
	if later {
		if err := tx.addMailFiles(ctx, entryID, in); err != nil {
			return nil, err
		}
	}
	pgp := in.PGP
	if err := tx.storeNewMailPGP(ctx, rc.ReportID, entryID, &pgp); err != nil {
		return nil, err
	}
	if err := tx.noteOmitted(ctx, rc.ReportID, entryID, in.Omitted); err != nil {
		return nil, err
	}
	if _, err := tx.storeRawMail(ctx, in, MailReport, key, rc.ReportID, entryID, "", 0); err != nil {
		return nil, err
	}
	return &IngestResult{Kind: MailReport, ReportID: rc.ReportID, Ref: rc.Ref, Contact: nr.Reporter.Email}, nil
}

// storeNewMailPGP is storeMailPGP for an entry just added: for a plain
// mail (most mail) the column defaults already say everything, and the
// entry is not written twice.
func (tx *Tx) storeNewMailPGP(ctx context.Context, reportID, entryID int64, p *MailPGP) error {
	if p.State == PGPPlain && p.Signature == "" && p.Signer == "" && p.Note == "" && len(p.Keys) == 0 {
		return nil
	}
	return tx.storeMailPGP(ctx, reportID, entryID, p)
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

// noteOmitted puts one timeline line per part left out of the mail of entry
// entryID, so that staff and reporter see that something did not arrive,
// and why. The lines of an unverified mail are for staff only, like the
// mail: they quote its file names.
func (tx *Tx) noteOmitted(ctx context.Context, reportID, entryID int64, omitted []string) error {
	if len(omitted) == 0 {
		return nil
	}
	var unverified bool
	if err := tx.QueryRowContext(ctx, `SELECT unverified FROM messages WHERE id = ?`, entryID).Scan(&unverified); err != nil {
		return fmt.Errorf("db: entry of omitted parts: %w", err)
	}
	for _, o := range omitted {
		if _, err := tx.addMessage(ctx, &NewMessage{ReportID: reportID, Kind: KindEvent, Public: !unverified, Source: SourceEmail,
			Event: "mail.omitted", Body: o}); err != nil {
			return err
		}
	}
	return nil
}

// noteOtherSender tells staff, on the timeline only, when a mail threaded by
// In-Reply-To or References came from an address other than the
// reporter's: anyone who saw one of the conversation's mails (a Cc, a
// forward) can answer into it, and the timeline would otherwise show their
// words as the reporter's. The note names no address (the original mail
// has it), so it holds no reporter contact data of its own. A sealed
// address is compared by its keyed hash; a sealed one written before the
// hash existed cannot be compared while the key is locked, and the note
// says so rather than guess.
func (tx *Tx) noteOtherSender(ctx context.Context, reportID int64, from string) error {
	rp, err := tx.reporterAddressOf(ctx, reportID)
	if err != nil {
		return err
	}
	same, known := tx.db.sameAddress(from, rp.email, rp.sealed, rp.hash)
	if same {
		return nil
	}
	body := "The mail above came from an address other than the reporter's. Check its original before trusting it as the reporter's."
	if !known {
		body = "The sender of the mail above could not be compared with the reporter's sealed address while the team key was locked. Check its original before trusting it as the reporter's."
	}
	_, err = tx.addMessage(ctx, &NewMessage{ReportID: reportID, Kind: KindEvent, Public: false, Source: SourceEmail, Event: "mail.sender",
		Body: body})
	return err
}
