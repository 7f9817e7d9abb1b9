package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// MailboxOf returns mailbox id of organisation org (without its password);
// a mailbox of another organisation is not found, like one that does not
// exist.
func (db *DB) MailboxOf(ctx context.Context, org, id int64) (*Mailbox, error) {
	m, err := scanMailbox(db.read.QueryRowContext(ctx, `SELECT `+mailboxColumns+` FROM mailboxes WHERE id = ? AND org_id = ?`, id, org))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, Errorf(ENOTFOUND, "Mailbox not found.")
	} else if err != nil {
		return nil, fmt.Errorf("db: read mailbox %d: %w", id, err)
	}
	return m, nil
}

// UpdateMailbox changes mailbox in.ID of organisation in.OrgID: its server,
// user, folders, filter and program (one of the organisation's). An empty
// in.Password keeps the stored one, which is never shown back, but only
// while the server, TLS mode, user and both folders stay the same. The intake
// workers pick the change up at their next look at the configuration
// (mailin.Supervisor).
func (db *DB) UpdateMailbox(ctx context.Context, in *NewMailbox, actor Actor) (*Mailbox, error) {
	keep := in.Password == ""
	if keep {
		in.Password = "kept" // Validate asks for one; the stored one stays
	}
	errs := in.Validate()
	if keep {
		in.Password = ""
	}
	if len(errs) > 0 {
		return nil, Invalid(errs)
	}
	var sealed string
	if !keep {
		var err error
		if sealed, err = db.sealSecret(secretMailboxPassword, in.Password); err != nil {
			return nil, err
		}
	}
	var out *Mailbox
	err := db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM programs WHERE id = ? AND org_id = ?`, in.ProgramID, in.OrgID).Scan(&n); err != nil {
			return fmt.Errorf("db: check mailbox program: %w", err)
		} else if n == 0 {
			return Invalid(FieldErrors{"program": "Choose a program of this organisation."})
		}
		if keep {
			// The stored password goes only to the server and user it was
			// given for: whoever changes where the mailbox connects (an
			// admin who never saw it) types it again, or the portal would
			// send it to a server of their choosing. The folders too: the
			// password opens the whole account, and an admin who never
			// knew it (a program's mailbox moved to their organisation)
			// must not turn it on the account's other folders.
			var addr, tls, user, name, processed string
			err := tx.QueryRowContext(ctx, `SELECT imap_addr, imap_tls, imap_user, mailbox, processed FROM mailboxes WHERE id = ? AND org_id = ?`,
				in.ID, in.OrgID).Scan(&addr, &tls, &user, &name, &processed)
			if errors.Is(err, sql.ErrNoRows) {
				return Errorf(ENOTFOUND, "Mailbox not found.")
			} else if err != nil {
				return fmt.Errorf("db: read mailbox %d: %w", in.ID, err)
			}
			if !strings.EqualFold(addr, in.Addr) || tls != in.TLS || user != in.User || name != in.Name || processed != in.Processed {
				return Invalid(FieldErrors{"imap_password": "The server, connection security, user or a folder changed: type the password again."})
			}
		}
		res, err := tx.ExecContext(ctx, `UPDATE mailboxes SET program_id = ?, imap_addr = ?, imap_tls = ?, imap_user = ?,
			imap_password = CASE WHEN ? THEN imap_password ELSE ? END, mailbox = ?, processed = ?, subject_contains = ?, to_addr = ?
			WHERE id = ? AND org_id = ?`,
			in.ProgramID, in.Addr, in.TLS, in.User, keep, sealed, in.Name, in.Processed, in.SubjectContains, in.To, in.ID, in.OrgID)
		if isUnique(err) {
			return Invalid(FieldErrors{"imap_user": "This mailbox of this user on this server is read already."})
		} else if err != nil {
			return fmt.Errorf("db: update mailbox: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("db: update mailbox: %w", err)
		} else if n == 0 {
			return Errorf(ENOTFOUND, "Mailbox not found.")
		}
		if err := tx.audit(ctx, actor, "mailbox.update", fmt.Sprintf("mailbox %d", in.ID), fmt.Sprintf("org=%d program=%d addr=%s user=%s mailbox=%s subject=%q to=%q password_changed=%t",
			in.OrgID, in.ProgramID, in.Addr, in.User, in.Name, in.SubjectContains, in.To, !keep)); err != nil {
			return err
		}
		m := in.Mailbox
		out = &m
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteMailbox removes mailbox id of organisation org: the portal stops
// reading it (mailin.Supervisor stops its worker at its next look); mail
// already taken stays with its reports, and the messages left on the
// server stay there.
func (db *DB) DeleteMailbox(ctx context.Context, org, id int64, actor Actor) error {
	return db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		var desc string
		err := tx.QueryRowContext(ctx, `SELECT imap_user || '@' || imap_addr || ' ' || mailbox FROM mailboxes WHERE id = ? AND org_id = ?`, id, org).Scan(&desc)
		if errors.Is(err, sql.ErrNoRows) {
			return Errorf(ENOTFOUND, "Mailbox not found.")
		} else if err != nil {
			return fmt.Errorf("db: read mailbox %d: %w", id, err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM mailboxes WHERE id = ? AND org_id = ?`, id, org); err != nil {
			return fmt.Errorf("db: delete mailbox %d: %w", id, err)
		}
		return tx.audit(ctx, actor, "mailbox.delete", fmt.Sprintf("mailbox %d", id), fmt.Sprintf("org=%d %s", org, desc))
	})
}
