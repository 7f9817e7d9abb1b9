package db

import (
	"context"
	"fmt"
	"strings"
)

// SigPartial is a mail of which only a part is signed: a clearsigned block
// with other text around it, one signed MIME part beside unsigned ones. It
// stays unverified whatever key signed: anyone can put their own words
// around a text the reporter once signed (a mailing-list post, an earlier
// mail), and the whole would read as hers. The mail gateway decides it
// (mailin: a signature counts for the mail only when it covers the whole
// text and every attachment).
const SigPartial PGPSignature = "partial"

// signedForReport says whether the signature of a mail that reached
// reportID weakly (mailThread.weak) vouches for it as the reporter's: the
// whole mail is signed by a key bound to the reporter (SigVerified, after
// bindSignature), and the signed content names the report, by its
// reference in the text or in a Subject inside the signed part (protected
// headers). The reference keeps an old signed mail of the reporter's, sent
// again whole by someone else under a new subject tag, from counting as
// her answer to this report. What stays possible is sending again a signed
// mail of hers that named this very report: its words are hers and about
// it, and the timeline shows them twice.
//
// When the signature is good but names no report, p's note says so for the
// triager who looks at the mail.
func (tx *Tx) signedForReport(ctx context.Context, reportID int64, body string, p *MailPGP) (bool, error) {
	if p.Signature != SigVerified {
		return false, nil
	}
	var ref string
	if err := tx.QueryRowContext(ctx, `SELECT p.prefix || '-' || r.number FROM reports r JOIN programs p ON p.id = r.program_id WHERE r.id = ?`,
		reportID).Scan(&ref); err != nil {
		return false, fmt.Errorf("db: reference of signed mail's report: %w", err)
	}
	if namesReport(p.SignedSubject, ref) || namesReport(body, ref) {
		return true, nil
	}
	note := fmt.Sprintf("The signature is good, but the signed text does not name %s: it may be an older signed mail of the reporter's sent again by someone else.", ref)
	p.Note = strings.TrimSpace(p.Note + " " + note)
	return false, nil
}

// namesReport says whether text holds the reference ref (as in "SEC-1",
// "[SEC-1]", "sec-1") as a word of its own: not inside SEC-12 or XSEC-1.
func namesReport(text, ref string) bool {
	if ref == "" {
		return false
	}
	t, r := strings.ToUpper(text), strings.ToUpper(ref)
	for from := 0; ; {
		i := strings.Index(t[from:], r)
		if i < 0 {
			return false
		}
		i += from
		end := i + len(r)
		if (i == 0 || !isRefChar(t[i-1])) && (end == len(t) || !isRefChar(t[end])) {
			return true
		}
		from = i + 1
	}
}

func isRefChar(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}
