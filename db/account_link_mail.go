package db

import (
	"context"
	"fmt"
	"time"
)

// AccountLinkMailKind is the outbox kind of a setup or reset link an admin
// sent from the dashboard. Like a reset mail's, its body is the recipient's
// alone: not shown to admins, dropped once sent (LinkMail, MailSent).
const AccountLinkMailKind = "account_link"

// InviteUserByMail creates an account without a password, as InviteUser,
// and mails its setup link to the address in the same transaction: the
// token is the caller's (NewResetToken) and link.Mail carries it, so the
// admin who invites never holds it.
func (db *DB) InviteUserByMail(ctx context.Context, in *NewUser, link ResetLink, actor Actor) (*User, error) {
	in.Password = ""
	if errs := in.Validate(); len(errs) > 0 {
		return nil, Invalid(errs)
	}
	if len(link.Token) < 43 || link.Mail == nil {
		return nil, Errorf(EINTERNAL, "db: a mailed link needs a token from NewResetToken and its mail")
	}
	var out *User
	err := db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		id, err := tx.createUser(ctx, in, "", actor)
		if err != nil {
			return err
		}
		if err := tx.mailAccountLink(ctx, id, in.Email, TokenSetup, link); err != nil {
			return err
		}
		out, err = tx.userByID(ctx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// MailResetLink is ResetLink by mail: a one-time link for the user (a setup
// link while it has no password), voiding older ones, queued to the
// account's address in the same transaction. The admin who asks never
// holds it, so it cannot be used to become the user. setup says which kind
// of link the caller must compose (AccountLinkSetup): the account's state
// decides, and a mail composed for the other kind is refused.
func (db *DB) MailResetLink(ctx context.Context, userID int64, setup bool, link ResetLink, actor Actor) error {
	if len(link.Token) < 43 || link.Mail == nil {
		return Errorf(EINTERNAL, "db: a mailed link needs a token from NewResetToken and its mail")
	}
	return db.updateUser(ctx, userID, func(ctx context.Context, tx *Tx, u *User) error {
		if u.Disabled {
			return Errorf(EINVALID, "Enable the account before resetting its password.")
		}
		purpose, life := TokenReset, db.Auth.SetupLinkLifetime
		if !u.HasPassword {
			purpose, life = TokenSetup, db.Auth.InviteLifetime
		}
		if setup != (purpose == TokenSetup) {
			return Errorf(ECONFLICT, "The account changed meanwhile: try again.")
		}
		if err := tx.mailAccountLink(ctx, u.ID, u.Email, purpose, link); err != nil {
			return err
		}
		return tx.audit(ctx, actor, "user."+purpose+"_link", u.Email, "mailed expires="+formatTime(tx.now.Add(life)))
	})
}

// AccountLinkSetup reports whether a link for the user is a setup link
// (no password yet) and how long it lives: what the mail must say.
func (db *DB) AccountLinkSetup(u *User) (setup bool, life time.Duration) {
	if !u.HasPassword {
		return true, db.Auth.InviteLifetime
	}
	return false, db.Auth.SetupLinkLifetime
}

func (tx *Tx) mailAccountLink(ctx context.Context, userID int64, email, purpose string, link ResetLink) error {
	life := tx.db.Auth.SetupLinkLifetime
	if purpose == TokenSetup {
		life = tx.db.Auth.InviteLifetime
	}
	// One open link per user: a new one voids the older ones.
	if _, err := tx.ExecContext(ctx, `DELETE FROM user_tokens WHERE user_id = ? AND used_at IS NULL`, userID); err != nil {
		return fmt.Errorf("db: void old links: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO user_tokens (token_hash, user_id, purpose, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
		tokenHash(link.Token), userID, purpose, formatTime(tx.now), formatTime(tx.now.Add(life))); err != nil {
		return fmt.Errorf("db: store link: %w", err)
	}
	m := *link.Mail
	m.To, m.Kind, m.UserID, m.ReportID = email, AccountLinkMailKind, userID, 0
	_, err := tx.enqueueMail(ctx, &m)
	return err
}
