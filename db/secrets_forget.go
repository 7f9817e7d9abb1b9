package db

import (
	"context"
	"fmt"
)

// ResetSSO names a sign-in provider whose client secret was dropped: an
// admin enters it again (disclose sso secret); until then its sign-in says
// so (ErrSSOSecretLost).
type ResetSSO struct {
	ID   int64
	Name string
}

// ResetMailbox names an intake mailbox whose IMAP password was dropped: an
// admin enters it again (disclose mailbox edit --imap-password-file).
type ResetMailbox struct {
	ID   int64
	Org  string
	User string // the IMAP user, to recognise it
}

// ErrSSOSecretLost answers a sign-in with a provider whose client secret
// was dropped by ForgetSecrets.
var ErrSSOSecretLost = Errorf(ECONFLICT, "This sign-in is switched off until an admin enters the provider's client secret again. Sign in with your password meanwhile.")

// forgetSealedLogins drops, within ForgetSecrets's transaction, the
// sealed secrets of single sign-on and of the intake mailboxes: each
// provider's client secret and each mailbox's IMAP password are emptied
// (to be entered again), and the sign-ins under way, whose nonce and
// verifier are sealed, end.
func (tx *Tx) forgetSealedLogins(ctx context.Context, actor Actor, out *ForgottenSecrets) error {
	rows, err := tx.QueryContext(ctx, `SELECT id, name FROM sso_providers WHERE client_secret <> '' ORDER BY id`)
	if err != nil {
		return fmt.Errorf("db: list sso providers: %w", err)
	}
	for rows.Next() {
		var p ResetSSO
		if err := rows.Scan(&p.ID, &p.Name); err != nil {
			rows.Close()
			return fmt.Errorf("db: list sso providers: %w", err)
		}
		out.SSOProviders = append(out.SSOProviders, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("db: list sso providers: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE sso_providers SET client_secret = '' WHERE client_secret <> ''`); err != nil {
		return fmt.Errorf("db: drop sso client secrets: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM sso_logins`); err != nil {
		return fmt.Errorf("db: end sso sign-ins: %w", err)
	}
	for _, p := range out.SSOProviders {
		if err := tx.audit(ctx, actor, "sso.secret_reset", fmt.Sprintf("sso:%d", p.ID), "local key lost: client secret to be entered again"); err != nil {
			return err
		}
	}
	rows, err = tx.QueryContext(ctx, `SELECT m.id, o.slug, m.imap_user FROM mailboxes m JOIN organisations o ON o.id = m.org_id
		WHERE m.imap_password <> '' ORDER BY m.id`)
	if err != nil {
		return fmt.Errorf("db: list mailboxes: %w", err)
	}
	for rows.Next() {
		var m ResetMailbox
		if err := rows.Scan(&m.ID, &m.Org, &m.User); err != nil {
			rows.Close()
			return fmt.Errorf("db: list mailboxes: %w", err)
		}
		out.Mailboxes = append(out.Mailboxes, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("db: list mailboxes: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE mailboxes SET imap_password = '' WHERE imap_password <> ''`); err != nil {
		return fmt.Errorf("db: drop mailbox passwords: %w", err)
	}
	for _, m := range out.Mailboxes {
		if err := tx.audit(ctx, actor, "mailbox.password_reset", fmt.Sprintf("mailbox %d", m.ID), "local key lost: IMAP password to be entered again"); err != nil {
			return err
		}
	}
	return nil
}

// SetSSOClientSecret replaces a provider's client secret (sealed), as
// after ForgetSecrets or when the provider issues a new one.
func (db *DB) SetSSOClientSecret(ctx context.Context, id int64, secret string, actor Actor) error {
	if secret == "" || len(secret) > 2000 {
		return Invalid(FieldErrors{"client_secret": "Give the client secret the provider gave this portal."})
	}
	sealed, err := db.sealSecret(secretSSOClient, secret)
	if err != nil {
		return err
	}
	return db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE sso_providers SET client_secret = ? WHERE id = ?`, sealed, id)
		if err != nil {
			return fmt.Errorf("db: set sso client secret: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return Errorf(ENOTFOUND, "Sign-in provider not found.")
		}
		return tx.audit(ctx, actor, "sso.secret", fmt.Sprintf("sso:%d", id), "client secret entered")
	})
}
