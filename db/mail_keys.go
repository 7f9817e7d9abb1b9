package db

import (
	"context"
	"fmt"
	"strings"
)

// SigIntegrity is a good signature by a key that is not bound to the
// report's reporter: a key the mail carried, or one given for another
// report. It shows the mail was not changed after it was signed, not who
// wrote it: anyone can make a key for any address.
const SigIntegrity PGPSignature = "integrity"

// KeyQuery is a mail whose signatures are to be checked: the report it
// belongs to when that is known (a kept mail decrypted later), otherwise
// what threading looks at.
type KeyQuery struct {
	ReportID   int64
	From       string
	InReplyTo  []string
	References []string
	Subject    string
}

// KnownKeys returns the armored public keys bound to the reporter of the
// report the mail belongs to (found as intake threads it): the key given
// with that report, or saved by a triager for its reporter. Signatures are
// checked against these only. A key typed into the web form for the same
// address on another report is not among them: a stranger can file a report
// with their own key and a victim's address, and must not make mail forged
// in the victim's name show as verified. A mail that opens a new report has
// no known keys. Sealed keys are opened while the team key is unlocked.
func (db *DB) KnownKeys(ctx context.Context, q KeyQuery) ([]string, error) {
	rtx, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer rtx.Rollback()
	tx := &Tx{Tx: rtx, db: db, now: db.Now().UTC()}
	reportID := q.ReportID
	if reportID == 0 {
		th, err := tx.threadOf(ctx, &InboundMail{FromEmail: q.From, InReplyTo: q.InReplyTo, References: q.References, Subject: q.Subject})
		if err != nil {
			return nil, err
		}
		reportID = th.reportID
	}
	if reportID == 0 {
		return nil, nil
	}
	// The reporter's key first; a key accepted from a mail is usually the
	// same one (AcceptKeyCandidate saves it for the reporter too).
	rows, err := tx.QueryContext(ctx, `SELECT rp.pgp_key, rp.pgp_fingerprint, rp.sealed FROM reports r JOIN reporters rp ON rp.id = r.reporter_id
		WHERE r.id = ? AND rp.pgp_key <> ''
		UNION ALL SELECT armored, fingerprint, sealed FROM pgp_key_candidates WHERE report_id = ? AND accepted_at IS NOT NULL`, reportID, reportID)
	if err != nil {
		return nil, fmt.Errorf("db: known keys: %w", err)
	}
	defer rows.Close()
	var out []string
	seen := map[string]bool{}
	for rows.Next() {
		var k, fpr string
		var sealed bool
		if err := rows.Scan(&k, &fpr, &sealed); err != nil {
			return nil, fmt.Errorf("db: scan known key: %w", err)
		}
		if fpr = strings.ToUpper(fpr); fpr != "" && seen[fpr] {
			continue
		}
		seen[fpr] = true
		if sealed {
			var ok bool
			if k, ok = db.openText(k); !ok {
				continue
			}
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// boundToReporter says whether fingerprint is a key bound to the reporter of
// reportID: given with the report, saved by a triager for the reporter, or
// accepted from a mail of this report. Fingerprints are kept in clear, so
// this works while the team key is locked.
func (tx *Tx) boundToReporter(ctx context.Context, reportID int64, fingerprint string) (bool, error) {
	if fingerprint == "" {
		return false, nil
	}
	var n int
	err := tx.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM reports r JOIN reporters rp ON rp.id = r.reporter_id
		WHERE r.id = ? AND rp.pgp_fingerprint = ? COLLATE NOCASE AND rp.pgp_fingerprint <> '')
		+ (SELECT COUNT(*) FROM pgp_key_candidates WHERE report_id = ? AND fingerprint = ? COLLATE NOCASE AND accepted_at IS NOT NULL)`,
		reportID, fingerprint, reportID, fingerprint).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("db: is the key bound to the reporter: %w", err)
	}
	return n > 0, nil
}

// bindSignature judges a verified signature for the report the mail is
// stored on: it stays verified only when the signing key is bound to that
// report's reporter, and becomes SigIntegrity otherwise. The mail gateway
// checks signatures before it knows where the mail goes; this is where the
// answer is tied to the report, whatever keys the gateway used.
func (tx *Tx) bindSignature(ctx context.Context, reportID int64, p *MailPGP) error {
	if p.Signature != SigVerified {
		return nil
	}
	bound, err := tx.boundToReporter(ctx, reportID, p.Signer)
	if err != nil || bound {
		return err
	}
	p.Signature = SigIntegrity
	for _, k := range p.Keys {
		if strings.EqualFold(k.Fingerprint, p.Signer) {
			return nil // the gateway's note already says the key came with the mail
		}
	}
	note := "The signature was made with a key that is not the reporter's; it shows the mail is unchanged, not who wrote it."
	p.Note = strings.TrimSpace(p.Note + " " + note)
	return nil
}
