package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// InviteMailKind is the outbox kind of an invitation to an organisation.
// Its body holds a live link for the invitee alone: admins are not shown
// it, and it is dropped once sent (MailSent), like a reset mail's.
const InviteMailKind = "org_invite"

// LinkMail reports whether mail of kind carries a one-time link meant for
// its recipient alone (reset, invitation, an admin's setup or reset link):
// its text is never shown to
// anyone else and is not kept once sent.
func LinkMail(kind string) bool {
	return kind == ResetMailKind || kind == InviteMailKind || kind == AccountLinkMailKind
}

// InviteLink is an invitation's one-time link and the mail that carries it
// to the address, made by the caller before InviteMember: the token
// (NewResetToken) and the mail composed by the mail gateway
// (mailin.Notifier.InviteMail). The same mail serves an address that has
// an account and one that gets a new one, so neither the work nor the
// answer says which it was.
type InviteLink struct {
	Token string
	Mail  *OutMail
}

// OrgInvite is a pending membership as the organisation's admins see it:
// the address (lower case), not the account (whether it existed is not
// theirs to know).
type OrgInvite struct {
	ID        int64
	OrgID     int64
	Email     string
	Role      Role
	InvitedBy string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Expired reports whether the invitation can no longer be accepted at now.
func (i *OrgInvite) Expired(now time.Time) bool { return !now.Before(i.ExpiresAt) }

// InviteInfo is what an invitation's link shows its holder.
type InviteInfo struct {
	OrgInvite
	OrgName     string
	UserID      int64
	HasPassword bool // false: a new account, whose password the link chooses
}

// ErrInviteInvalid answers a link that is unknown, used, declined or
// expired, all alike.
var ErrInviteInvalid = Errorf(ENOTFOUND, "This invitation is not valid: it expired, was answered already, or was withdrawn. Ask the organisation's admin for a new one.")

// InviteMember invites the address of in to the organisation with role:
// it queues link.Mail to the address and records a pending invitation
// (replacing an older one of the same organisation and account). An
// address without an account gets one (no instance role, no password, no
// program: until the invitation is accepted it reaches nothing). Nobody is
// a member until the address's owner accepts (AcceptInvite,
// AcceptInviteNewAccount); the token is never returned or shown.
//
// The answer is the same whether or not the address had an account: the
// organisation's admin learns nothing about other tenants' staff. Only an
// address that is a member of this organisation already is refused.
func (db *DB) InviteMember(ctx context.Context, orgID int64, in *NewUser, role Role, link InviteLink, actor Actor) (*OrgInvite, error) {
	in.Password, in.Role, in.ProgramIDs = "", RoleViewer, nil
	errs := in.Validate()
	if !role.Valid() {
		errs["role"] = "Choose admin, triager or viewer."
	}
	if len(errs) > 0 {
		return nil, Invalid(errs)
	}
	if len(link.Token) < 43 || link.Mail == nil {
		return nil, Errorf(EINTERNAL, "db: an invitation needs a token from NewResetToken and its mail")
	}
	var out *OrgInvite
	err := db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		var slug string
		if err := tx.QueryRowContext(ctx, `SELECT slug FROM organisations WHERE id = ?`, orgID).Scan(&slug); errors.Is(err, sql.ErrNoRows) {
			return Errorf(ENOTFOUND, "Organisation not found.")
		} else if err != nil {
			return fmt.Errorf("db: find organisation: %w", err)
		}
		var uid int64
		var email string
		err := tx.QueryRowContext(ctx, `SELECT id, email FROM users WHERE email = ?`, in.Email).Scan(&uid, &email)
		if errors.Is(err, sql.ErrNoRows) {
			if uid, err = tx.createUser(ctx, in, "", actor); err != nil {
				return err
			}
			email = in.Email
		} else if err != nil {
			return fmt.Errorf("db: find user: %w", err)
		}
		var member int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM org_members WHERE org_id = ? AND user_id = ?`, orgID, uid).Scan(&member); err != nil {
			return fmt.Errorf("db: find membership: %w", err)
		} else if member > 0 {
			return Invalid(FieldErrors{"email": "This address is a member of the organisation already: change its role in the list."})
		}
		expires := tx.now.Add(db.Auth.InviteLifetime)
		var id int64
		err = tx.QueryRowContext(ctx, `INSERT INTO org_invites (org_id, user_id, role, token_hash, invited_by, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (org_id, user_id) DO UPDATE SET role = excluded.role, token_hash = excluded.token_hash,
				invited_by = excluded.invited_by, created_at = excluded.created_at, expires_at = excluded.expires_at
			RETURNING id`, orgID, uid, string(role), tokenHash(link.Token), actor.Name, formatTime(tx.now), formatTime(expires)).Scan(&id)
		if err != nil {
			return fmt.Errorf("db: store invitation: %w", err)
		}
		m := *link.Mail
		m.To, m.Kind, m.UserID, m.ReportID, m.OrgID = email, InviteMailKind, uid, 0, orgID
		if _, err := tx.enqueueMail(ctx, &m); err != nil {
			return err
		}
		if err := tx.audit(ctx, actor, "org.member.invite", email, "org="+slug+" role="+string(role)); err != nil {
			return err
		}
		out = &OrgInvite{ID: id, OrgID: orgID, Email: email, Role: role, InvitedBy: actor.Name, CreatedAt: tx.now, ExpiresAt: expires}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// OrgInvites lists the organisation's pending invitations (expired ones
// too, until answered or withdrawn), by address.
func (db *DB) OrgInvites(ctx context.Context, orgID int64) ([]*OrgInvite, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT i.id, i.org_id, u.email, i.role, i.invited_by, i.created_at, i.expires_at
		FROM org_invites i JOIN users u ON u.id = i.user_id WHERE i.org_id = ? ORDER BY u.email`, orgID)
	if err != nil {
		return nil, fmt.Errorf("db: list invitations: %w", err)
	}
	defer rows.Close()
	var out []*OrgInvite
	for rows.Next() {
		var i OrgInvite
		var created, expires string
		if err := rows.Scan(&i.ID, &i.OrgID, &i.Email, &i.Role, &i.InvitedBy, &created, &expires); err != nil {
			return nil, fmt.Errorf("db: scan invitation: %w", err)
		}
		// Lower case: an existing account's address as stored may differ
		// in case from what the admin typed, a new one's does not; the
		// list must not tell them apart.
		i.Email = strings.ToLower(i.Email)
		i.CreatedAt, i.ExpiresAt = parseTime(created), parseTime(expires)
		out = append(out, &i)
	}
	return out, rows.Err()
}

// CancelInvite withdraws a pending invitation of the organisation; its link
// stops working. An invitation of another organisation is not found.
func (db *DB) CancelInvite(ctx context.Context, orgID, inviteID int64, actor Actor) error {
	return db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		var email, slug string
		err := tx.QueryRowContext(ctx, `SELECT u.email, o.slug FROM org_invites i JOIN users u ON u.id = i.user_id
			JOIN organisations o ON o.id = i.org_id WHERE i.id = ? AND i.org_id = ?`, inviteID, orgID).Scan(&email, &slug)
		if errors.Is(err, sql.ErrNoRows) {
			return Errorf(ENOTFOUND, "No such invitation.")
		} else if err != nil {
			return fmt.Errorf("db: find invitation: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM org_invites WHERE id = ?`, inviteID); err != nil {
			return fmt.Errorf("db: withdraw invitation: %w", err)
		}
		return tx.audit(ctx, actor, "org.member.invite_cancel", email, "org="+slug)
	})
}

// InviteByToken reads the invitation of a link without using it (reader
// pool: anyone holding a link may ask). Unknown, expired and disabled
// accounts' links are ErrInviteInvalid alike.
func (db *DB) InviteByToken(ctx context.Context, token string) (*InviteInfo, error) {
	rtx, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer rtx.Rollback()
	return inviteByToken(ctx, rtx, token, db.Now().UTC())
}

func inviteByToken(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, token string, now time.Time) (*InviteInfo, error) {
	var in InviteInfo
	var created, expires string
	err := q.QueryRowContext(ctx, `SELECT i.id, i.org_id, u.email, i.role, i.invited_by, i.created_at, i.expires_at, o.name, u.id, u.password_hash <> ''
		FROM org_invites i JOIN users u ON u.id = i.user_id JOIN organisations o ON o.id = i.org_id
		WHERE i.token_hash = ? AND u.disabled = 0`, tokenHash(token)).Scan(&in.ID, &in.OrgID, &in.Email, &in.Role, &in.InvitedBy,
		&created, &expires, &in.OrgName, &in.UserID, &in.HasPassword)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrInviteInvalid
	} else if err != nil {
		return nil, fmt.Errorf("db: find invitation: %w", err)
	}
	in.CreatedAt, in.ExpiresAt = parseTime(created), parseTime(expires)
	if in.Expired(now) {
		return nil, ErrInviteInvalid
	}
	return &in, nil
}

// AcceptInvite makes the signed-in user userID a member as the link's
// invitation says. Holding the link (it came to the address) is not
// enough, nor is being signed in: the link must be the user's own, so
// whoever else controls the account, or the mailbox, cannot accept for the
// other. A link of another account answers like an unknown one.
func (db *DB) AcceptInvite(ctx context.Context, token string, userID int64, clientAddr string) (*InviteInfo, error) {
	var out *InviteInfo
	err := db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		in, err := inviteByToken(ctx, tx, token, tx.now)
		if err != nil {
			return err
		}
		if in.UserID != userID {
			return ErrInviteInvalid
		}
		if err := tx.acceptInvite(ctx, in, clientAddr); err != nil {
			return err
		}
		out = in
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// AcceptInviteNewAccount is the link of an account without a password (an
// address that had none, or one never set up): the link came to the
// address, so it chooses the password, as a setup link does, and accepts.
// An account with a password must sign in and use AcceptInvite.
func (db *DB) AcceptInviteNewAccount(ctx context.Context, token string, in *Redeem, clientAddr string) (*User, error) {
	if _, err := db.InviteByToken(ctx, token); err != nil {
		return nil, err // an invalid link must not cost a password hash
	}
	errs := ValidatePassword(in.Password, in.Password2)
	if len([]rune(strings.TrimSpace(in.Name))) > 100 {
		errs["name"] = "Use at most 100 characters."
	}
	if len(errs) > 0 {
		return nil, Invalid(errs)
	}
	hash, err := hashPassword(in.Password, db.Auth.Argon2)
	if err != nil {
		return nil, err
	}
	var out *User
	err = db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		inv, err := inviteByToken(ctx, tx, token, tx.now)
		if err != nil {
			return err
		}
		if inv.HasPassword {
			return Errorf(EINVALID, "This account has a password: sign in, then open the link again.")
		}
		q, args := `UPDATE users SET password_hash = ? WHERE id = ?`, []any{hash, inv.UserID}
		if n := strings.TrimSpace(in.Name); n != "" {
			q, args = `UPDATE users SET password_hash = ?, name = ? WHERE id = ?`, []any{hash, n, inv.UserID}
		}
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("db: set password: %w", err)
		}
		// Other setup links of the account die with the password chosen.
		if _, err := tx.ExecContext(ctx, `DELETE FROM user_tokens WHERE user_id = ? AND used_at IS NULL`, inv.UserID); err != nil {
			return fmt.Errorf("db: void old links: %w", err)
		}
		if err := tx.endSessions(ctx, inv.UserID); err != nil {
			return err
		}
		if err := tx.clearAccountFailures(ctx, inv.Email); err != nil {
			return err
		}
		u, err := tx.userByID(ctx, inv.UserID)
		if err != nil {
			return err
		}
		if err := tx.audit(ctx, u.Actor(clientAddr), "user.password_set", u.Email, "via=invite"); err != nil {
			return err
		}
		if err := tx.acceptInvite(ctx, inv, clientAddr); err != nil {
			return err
		}
		out = u
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (tx *Tx) acceptInvite(ctx context.Context, in *InviteInfo, clientAddr string) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO org_members (org_id, user_id, role) VALUES (?, ?, ?)
		ON CONFLICT (org_id, user_id) DO UPDATE SET role = excluded.role`, in.OrgID, in.UserID, string(in.Role)); err != nil {
		return fmt.Errorf("db: add organisation member: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM org_invites WHERE id = ?`, in.ID); err != nil {
		return fmt.Errorf("db: use invitation: %w", err)
	}
	actor := Actor{UserID: in.UserID, Name: in.Email, ClientAddr: clientAddr}
	return tx.audit(ctx, actor, "org.member.accept", in.Email, fmt.Sprintf("org=%d role=%s invited_by=%s", in.OrgID, in.Role, in.InvitedBy))
}

// DeclineInvite ends the link's invitation unanswered. Holding the link is
// enough: it came to the address, whose owner may refuse without an
// account or a password.
func (db *DB) DeclineInvite(ctx context.Context, token, clientAddr string) error {
	return db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		in, err := inviteByToken(ctx, tx, token, tx.now)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM org_invites WHERE id = ?`, in.ID); err != nil {
			return fmt.Errorf("db: decline invitation: %w", err)
		}
		return tx.audit(ctx, Actor{Name: in.Email, ClientAddr: clientAddr}, "org.member.decline", in.Email, fmt.Sprintf("org=%d", in.OrgID))
	})
}

// PendingInvites are the open invitations of every account (expired ones
// too), by user id: the account review shows them beside the memberships.
func (db *DB) PendingInvites(ctx context.Context) (map[int64][]OrgRole, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT i.user_id, i.org_id, i.role, o.name FROM org_invites i
		JOIN organisations o ON o.id = i.org_id ORDER BY i.user_id, o.name`)
	if err != nil {
		return nil, fmt.Errorf("db: list pending invitations: %w", err)
	}
	defer rows.Close()
	out := map[int64][]OrgRole{}
	for rows.Next() {
		var uid int64
		var r OrgRole
		if err := rows.Scan(&uid, &r.OrgID, &r.Role, &r.OrgName); err != nil {
			return nil, fmt.Errorf("db: scan pending invitation: %w", err)
		}
		out[uid] = append(out[uid], r)
	}
	return out, rows.Err()
}
