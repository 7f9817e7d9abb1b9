package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// PGPState says whether a timeline entry made from a mail came encrypted.
type PGPState string

// Encryption states of an entry.
const (
	PGPPlain     PGPState = ""          // not encrypted
	PGPDecrypted PGPState = "decrypted" // came encrypted to the team key, decrypted
	PGPPending   PGPState = "pending"   // came encrypted while the key was locked; raw kept, decrypted at unlock
	PGPFailed    PGPState = "failed"    // came encrypted and could not be decrypted; PGPNote says why
)

// PGPSignature is what an entry's OpenPGP signature turned out to be; the
// values are those of mailin/pgp.Signature.
type PGPSignature string

// Signature outcomes of an entry.
const (
	SigNone       PGPSignature = ""
	SigVerified   PGPSignature = "verified"
	SigUnknownKey PGPSignature = "unknown_key"
	SigBad        PGPSignature = "bad"
)

// MailPGP is what the mail gateway found about OpenPGP in one mail.
type MailPGP struct {
	State     PGPState
	Signature PGPSignature
	Signer    string // fingerprint of the key a verified signature was made with
	Note      string // one line for the timeline: why decryption failed or waits
	// Subject is the subject found inside the encrypted part (protected
	// headers) when the outer one was a placeholder; "" otherwise.
	Subject string
	// SignedSubject is the Subject inside the part a signature over the
	// whole mail covers (protected headers), "" when there is none: with
	// the text, it is where a signed reply names its report
	// (signedForReport).
	SignedSubject string
	// Keys are public keys the mail carried, offered to the triager.
	Keys []KeyCandidate
}

// KeyCandidate is a public key that came with a mail.
type KeyCandidate struct {
	ID          int64
	ReportID    int64
	EntryID     int64
	Fingerprint string
	Armored     string
	Origin      string // "attachment" or "autocrypt"
	Accepted    bool
}

// storeMailPGP records on entryID what the gateway found, and keeps the
// keys the mail carried as candidates for the report's reporter.
func (tx *Tx) storeMailPGP(ctx context.Context, reportID, entryID int64, p *MailPGP) error {
	if err := tx.bindSignature(ctx, reportID, p); err != nil {
		return err
	}
	// The note names what was left encrypted (a file's name is report
	// content) and quotes errors: sealed when the database seals.
	note, noteSealed := p.Note, false
	if tx.db.sealOn && note != "" {
		if err := tx.sealTexts(reportID, &note); err != nil {
			return err
		}
		noteSealed = true
	}
	if _, err := tx.ExecContext(ctx, `UPDATE messages SET pgp_state = ?, pgp_signature = ?, pgp_signer = ?, pgp_note = ?, pgp_note_sealed = ? WHERE id = ?`,
		string(p.State), string(p.Signature), p.Signer, note, noteSealed, entryID); err != nil {
		return fmt.Errorf("db: store mail pgp state: %w", err)
	}
	for _, k := range p.Keys {
		origin := k.Origin
		if origin != "autocrypt" {
			origin = "attachment"
		}
		armored := k.Armored
		if tx.db.sealOn {
			var err error
			if armored, err = tx.db.sealText(armored); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO pgp_key_candidates (report_id, entry_id, fingerprint, armored, origin, sealed, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (report_id, fingerprint) DO NOTHING`,
			reportID, entryID, k.Fingerprint, armored, origin, tx.db.sealOn, formatTime(tx.now)); err != nil {
			return fmt.Errorf("db: store key candidate: %w", err)
		}
	}
	return nil
}

// PendingMail is an entry whose mail came encrypted while the key was
// locked, with the kept raw message to decrypt.
type PendingMail struct {
	EntryID   int64
	ReportID  int64
	RawID     int64
	FromEmail string
}

// PendingEncrypted lists up to limit entries after entry afterID waiting for
// the team key, oldest first.
func (db *DB) PendingEncrypted(ctx context.Context, afterID int64, limit int) ([]PendingMail, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT m.id, m.report_id, r.id, r.from_addr, r.sealed FROM messages m
		JOIN mail_raw r ON r.entry_id = m.id WHERE m.pgp_state = 'pending' AND m.id > ? ORDER BY m.id LIMIT ?`, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("db: pending encrypted mail: %w", err)
	}
	defer rows.Close()
	var out []PendingMail
	for rows.Next() {
		var p PendingMail
		var sealed bool
		if err := rows.Scan(&p.EntryID, &p.ReportID, &p.RawID, &p.FromEmail, &sealed); err != nil {
			return nil, fmt.Errorf("db: scan pending mail: %w", err)
		}
		if sealed {
			p.FromEmail, _ = db.openText(p.FromEmail)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// CompletePending puts the decrypted content of a pending entry in place:
// its text, its attachments, the notes on what was left out, and its
// OpenPGP state. An entry no longer pending (another pass got there first)
// is left alone.
func (db *DB) CompletePending(ctx context.Context, entryID int64, in *InboundMail) error {
	err := db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		var err error
		var reportID int64
		var event string
		var reportSealed, entrySealed bool
		err = tx.QueryRowContext(ctx, `SELECT m.report_id, m.event, r.sealed, m.sealed FROM messages m JOIN reports r ON r.id = m.report_id
			WHERE m.id = ? AND m.pgp_state = 'pending'`, entryID).Scan(&reportID, &event, &reportSealed, &entrySealed)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		} else if err != nil {
			return fmt.Errorf("db: find pending entry: %w", err)
		}
		if in.PGP.State != PGPPending {
			body := strings.TrimSpace(in.Body)
			if body == "" {
				body = "(The decrypted mail had no text.)"
			}
			if (event == "submitted" && reportSealed) || (event != "submitted" && entrySealed) {
				// Decrypted text of a sealed row is stored sealed again.
				if body, err = tx.db.sealText(body); err != nil {
					return err
				}
			}
			if event == "submitted" {
				// The mail opened the report: its text is the report's description.
				if _, err := tx.ExecContext(ctx, `UPDATE reports SET description = ? WHERE id = ?`, body, reportID); err != nil {
					return fmt.Errorf("db: store decrypted description: %w", err)
				}
				if in.PGP.Subject != "" {
					// The protected subject is report text like the body: sealed
					// when the report is.
					title := mailTitle(in.PGP.Subject)
					if reportSealed {
						if title, err = tx.db.sealText(title); err != nil {
							return err
						}
					}
					if _, err := tx.ExecContext(ctx, `UPDATE reports SET title = ? WHERE id = ?`, title, reportID); err != nil {
						return fmt.Errorf("db: store decrypted title: %w", err)
					}
				}
			} else if _, err := tx.ExecContext(ctx, `UPDATE messages SET body = ? WHERE id = ?`, body, entryID); err != nil {
				return fmt.Errorf("db: store decrypted text: %w", err)
			}
			if err := tx.addPendingFiles(ctx, entryID, in, entrySealed); err != nil {
				return err
			}
			if err := tx.noteOmitted(ctx, reportID, entryID, in.Omitted); err != nil {
				return err
			}
		}
		if err := tx.storeMailPGP(ctx, reportID, entryID, &in.PGP); err != nil {
			return err
		}
		if err := tx.acceptSignedMail(ctx, reportID, entryID, in.Body, &in.PGP); err != nil {
			return err
		}
		// A sealed report's new title reaches the in-memory index through the
		// change list of migration 0018, at the next search.
		return nil
	})
	return err
}

// KeyCandidates lists the keys that came with a report's mail.
func (db *DB) KeyCandidates(ctx context.Context, reportID int64) ([]*KeyCandidate, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id, report_id, COALESCE(entry_id, 0), fingerprint, armored, origin, accepted_at IS NOT NULL, sealed
		FROM pgp_key_candidates WHERE report_id = ? ORDER BY id`, reportID)
	if err != nil {
		return nil, fmt.Errorf("db: key candidates: %w", err)
	}
	defer rows.Close()
	var out []*KeyCandidate
	for rows.Next() {
		k := &KeyCandidate{}
		var sealed bool
		if err := rows.Scan(&k.ID, &k.ReportID, &k.EntryID, &k.Fingerprint, &k.Armored, &k.Origin, &k.Accepted, &sealed); err != nil {
			return nil, fmt.Errorf("db: scan key candidate: %w", err)
		}
		if sealed {
			k.Armored, _ = db.openText(k.Armored)
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// AcceptKeyCandidate saves a key that came with a mail as the OpenPGP key of
// the report's reporter: later mail from them is verified against it and
// replies are encrypted to it. The caller checked the user may write the report.
func (db *DB) AcceptKeyCandidate(ctx context.Context, reportID, candidateID int64, actor Actor) error {
	return db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		var err error
		var fpr, armored string
		var reporterID sql.NullInt64
		var keySealed, reporterSealed bool
		err = tx.QueryRowContext(ctx, `SELECT k.fingerprint, k.armored, r.reporter_id, k.sealed, COALESCE(rp.sealed, 0) FROM pgp_key_candidates k
			JOIN reports r ON r.id = k.report_id LEFT JOIN reporters rp ON rp.id = r.reporter_id
			WHERE k.id = ? AND k.report_id = ?`, candidateID, reportID).Scan(&fpr, &armored, &reporterID, &keySealed, &reporterSealed)
		if errors.Is(err, sql.ErrNoRows) {
			return Errorf(ENOTFOUND, "Key not found.")
		} else if err != nil {
			return fmt.Errorf("db: find key candidate: %w", err)
		}
		if !reporterID.Valid {
			return Errorf(EINVALID, "This report has no reporter to save the key for.")
		}
		if keySealed != reporterSealed {
			// The reporter's key is stored as the reporter row is: re-seal or open.
			var err error
			if reporterSealed {
				armored, err = tx.db.sealText(armored)
			} else if plain, ok := tx.db.openText(armored); ok {
				armored = plain
			} else {
				err = Errorf(ECONFLICT, "This key is sealed; unlock the team key to save it.")
			}
			if err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE reporters SET pgp_key = ?, pgp_fingerprint = ? WHERE id = ?`, armored, fpr, reporterID.Int64); err != nil {
			return fmt.Errorf("db: save reporter key: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE pgp_key_candidates SET accepted_at = ?, accepted_by = ? WHERE id = ?`,
			formatTime(tx.now), nullID(actor.UserID), candidateID); err != nil {
			return fmt.Errorf("db: mark key accepted: %w", err)
		}
		// The audit log outlives anonymisation and cannot be edited: it names
		// the key by its candidate row, never by the fingerprint (which a key
		// server turns into the reporter's name).
		return tx.audit(ctx, actor, "reporter.key.accept", fmt.Sprintf("report:%d", reportID), fmt.Sprintf("candidate=%d", candidateID))
	})
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// AuditKeyAction writes an audit row for an action on the team key
// (unlock, refused unlock, lock), naming the key by fingerprint.
func (db *DB) AuditKeyAction(ctx context.Context, actor Actor, action, fingerprint string) error {
	return db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		return tx.audit(ctx, actor, action, "team-key", "fingerprint="+fingerprint)
	})
}
