package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ResetLink is a password reset link and its mail, made by the caller
// before RequestPasswordReset: the token (NewResetToken) and the mail that
// carries it to the address asked for, composed by the mail gateway
// (mailin.Notifier.ResetMail). Composing it first, for every request, keeps
// db from calling back into the mail gateway and does the same work whether
// or not the address is an account. A nil Mail sends nothing.
type ResetLink struct {
	Token string
	Mail  *OutMail
}

// NewResetToken is a fresh reset token: 256 random bits, stored only as its
// hash.
func NewResetToken() (string, error) {
	token, _, err := newToken()
	return token, err
}

// ResetMailKind is the outbox kind of a reset mail. Its body holds a live
// link: admins are not shown it, and it is dropped once sent (MailSent).
const ResetMailKind = "password_reset"

// resetStandIn is what the request of an address that gets no mail works
// on, so that it does the same work as one that does (RequestPasswordReset).
var resetStandIn = User{Email: "nobody@invalid", Name: "nobody"}

// RequestPasswordReset answers "forgot your password?": when email is an
// enabled account with a password, and fewer than AuthPolicy.ResetPerAddress
// requests for it came within ResetWindow, it queues a mail with a one-time
// reset link (SetupLinkLifetime, an hour) and voids the account's older
// links. It returns nil in every case, and does the same work whether or
// not a mail is sent: the link is made, stored, and its mail composed and
// queued in a savepoint that is then undone, so that neither the answer nor
// its timing tells a stranger which addresses are accounts. Every request
// is audited, with what came of it; the link never is.
//
// Invited users who never chose a password get nothing: their setup link
// stays valid (a stranger must not void it), and an admin can send a new one.
func (db *DB) RequestPasswordReset(ctx context.Context, email, clientAddr string, link ResetLink) error {
	email = normalEmail(email)
	if len(link.Token) < 43 {
		return Errorf(EINTERNAL, "db: a reset link needs a token from NewResetToken")
	}
	hash := tokenHash(link.Token)
	life := db.Auth.SetupLinkLifetime
	actor := Actor{Name: auditEmail(email), ClientAddr: clientAddr}
	return db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		n, err := tx.countResetRequest(ctx, email)
		if err != nil {
			return err
		}
		u, err := scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users u WHERE u.email = ?`, email))
		found := !errors.Is(err, sql.ErrNoRows)
		if err != nil && found {
			return fmt.Errorf("db: find user for reset: %w", err)
		}
		result := "mailed"
		switch {
		case !found:
			result = "unknown account"
		case u.Disabled:
			result = "account disabled"
		case !u.HasPassword:
			result = "no password set"
		case n > db.Auth.ResetPerAddress:
			result = "too many requests"
		case link.Mail == nil:
			result = "no mail gateway"
		}
		to := u
		if result != "mailed" {
			to = &resetStandIn
		}
		if err := tx.queueResetMail(ctx, link.Mail, to, hash, life, result == "mailed"); err != nil {
			return err
		}
		return tx.audit(ctx, actor, "user.reset_request", actor.Name, "result="+result)
	})
}

// queueResetMail stores the link and queues its mail in a savepoint, kept
// when keep says so and undone otherwise.
func (tx *Tx) queueResetMail(ctx context.Context, mail *OutMail, u *User, hash []byte, life time.Duration, keep bool) error {
	if _, err := tx.ExecContext(ctx, `SAVEPOINT reset_mail`); err != nil {
		return fmt.Errorf("db: reset savepoint: %w", err)
	}
	err := func() error {
		var uid any
		if u.ID != 0 {
			uid = u.ID
		}
		// One open link per user: a new one voids the older ones.
		if _, err := tx.ExecContext(ctx, `DELETE FROM user_tokens WHERE user_id = ? AND used_at IS NULL`, u.ID); err != nil {
			return fmt.Errorf("db: void old links: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO user_tokens (token_hash, user_id, purpose, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
			hash, uid, TokenReset, formatTime(tx.now), formatTime(tx.now.Add(life))); err != nil {
			return fmt.Errorf("db: store reset link: %w", err)
		}
		if mail == nil {
			return nil
		}
		m := *mail
		m.To, m.Kind, m.UserID, m.ReportID = u.Email, ResetMailKind, u.ID, 0
		_, err := tx.enqueueMail(ctx, &m)
		return err
	}()
	if err == nil && keep {
		if _, err := tx.ExecContext(ctx, `RELEASE reset_mail`); err != nil {
			return fmt.Errorf("db: reset savepoint: %w", err)
		}
		return nil
	}
	if _, rerr := tx.ExecContext(ctx, `ROLLBACK TO reset_mail`); rerr != nil {
		return errors.Join(err, fmt.Errorf("db: undo reset savepoint: %w", rerr))
	}
	if _, rerr := tx.ExecContext(ctx, `RELEASE reset_mail`); rerr != nil {
		return errors.Join(err, fmt.Errorf("db: reset savepoint: %w", rerr))
	}
	return err
}

// countResetRequest counts a request for email (a keyed hash of it) and
// returns how many came within the window, this one included. Counts out of
// the window are forgotten first.
func (tx *Tx) countResetRequest(ctx context.Context, email string) (int, error) {
	window := formatTime(tx.now.Add(-tx.db.Auth.ResetWindow))
	if _, err := tx.ExecContext(ctx, `DELETE FROM reset_requests WHERE first_at < ?`, window); err != nil {
		return 0, fmt.Errorf("db: purge reset requests: %w", err)
	}
	key := tx.db.localKey.Hash("reset-request", []byte(email))
	var n int
	err := tx.QueryRowContext(ctx, `INSERT INTO reset_requests (key_hash, requests, first_at) VALUES (?, 1, ?)
		ON CONFLICT (key_hash) DO UPDATE SET requests = requests + 1 RETURNING requests`, key, formatTime(tx.now)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("db: count reset request: %w", err)
	}
	return n, nil
}
