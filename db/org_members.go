package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// OrgRole is a user's membership of an organisation.
type OrgRole struct {
	OrgID   int64
	Role    Role
	OrgName string // for pages that say where the role is
}

// OrgMember is a user of an organisation as its admin pages list them.
type OrgMember struct {
	User *User
	Role Role
}

// roleRank orders roles by what they allow: a user reached by several
// memberships has the strongest.
func roleRank(r Role) int {
	switch r {
	case RoleAdmin:
		return 3
	case RoleTriager:
		return 2
	case RoleViewer:
		return 1
	}
	return 0
}

// SetOrgMember gives a user a role in an organisation (adding the
// membership or changing its role).
func (db *DB) SetOrgMember(ctx context.Context, orgID, userID int64, role Role, actor Actor) error {
	if !role.Valid() {
		return Invalid(FieldErrors{"role": "Choose admin, triager or viewer."})
	}
	return db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		return tx.setOrgMember(ctx, orgID, userID, role, actor)
	})
}

func (tx *Tx) setOrgMember(ctx context.Context, orgID, userID int64, role Role, actor Actor) error {
	var slug, email string
	if err := tx.QueryRowContext(ctx, `SELECT slug FROM organisations WHERE id = ?`, orgID).Scan(&slug); err == sql.ErrNoRows {
		return Errorf(ENOTFOUND, "Organisation not found.")
	} else if err != nil {
		return fmt.Errorf("db: find organisation: %w", err)
	}
	if err := tx.QueryRowContext(ctx, `SELECT email FROM users WHERE id = ?`, userID).Scan(&email); err == sql.ErrNoRows {
		return Errorf(ENOTFOUND, "User not found.")
	} else if err != nil {
		return fmt.Errorf("db: find user: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO org_members (org_id, user_id, role) VALUES (?, ?, ?)
		ON CONFLICT (org_id, user_id) DO UPDATE SET role = excluded.role`, orgID, userID, string(role)); err != nil {
		return fmt.Errorf("db: set organisation member: %w", err)
	}
	return tx.audit(ctx, actor, "org.member.set", email, "org="+slug+" role="+string(role))
}

// RemoveOrgMember ends a user's membership of an organisation.
func (db *DB) RemoveOrgMember(ctx context.Context, orgID, userID int64, actor Actor) error {
	return db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		var email string
		err := tx.QueryRowContext(ctx, `SELECT u.email FROM org_members m JOIN users u ON u.id = m.user_id
			WHERE m.org_id = ? AND m.user_id = ?`, orgID, userID).Scan(&email)
		if err == sql.ErrNoRows {
			return Errorf(ENOTFOUND, "This user is not a member of the organisation.")
		} else if err != nil {
			return fmt.Errorf("db: find organisation member: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM org_members WHERE org_id = ? AND user_id = ?`, orgID, userID); err != nil {
			return fmt.Errorf("db: remove organisation member: %w", err)
		}
		return tx.audit(ctx, actor, "org.member.remove", email, fmt.Sprintf("org=%d", orgID))
	})
}

// OrgMembers lists the members of one organisation, by email.
func (db *DB) OrgMembers(ctx context.Context, orgID int64) ([]OrgMember, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+userColumns+`, m.role FROM org_members m JOIN users u ON u.id = m.user_id
		WHERE m.org_id = ? ORDER BY u.email`, orgID)
	if err != nil {
		return nil, fmt.Errorf("db: list organisation members: %w", err)
	}
	defer rows.Close()
	var out []OrgMember
	for rows.Next() {
		var role Role
		u, err := scanUser(extraScan{row: rows, extra: []any{&role}})
		if err != nil {
			return nil, fmt.Errorf("db: scan organisation member: %w", err)
		}
		out = append(out, OrgMember{User: u, Role: role})
	}
	return out, rows.Err()
}

// access is what a user reaches: the programs (with the strongest role per
// program, from program_access) and the direct organisation memberships.
type access struct {
	programs map[int64]Role
	members  []int64
	orgs     []OrgRole
}

type querier interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}

// loadAccess reads what users reach, for one user (userID > 0) or all (0).
func loadAccess(ctx context.Context, q querier, userID int64) (map[int64]*access, error) {
	out := map[int64]*access{}
	get := func(uid int64) *access {
		a := out[uid]
		if a == nil {
			a = &access{programs: map[int64]Role{}}
			out[uid] = a
		}
		return a
	}
	where, args := "", []any{}
	if userID > 0 {
		where, args = " WHERE user_id = ?", []any{userID}
	}
	rows, err := q.QueryContext(ctx, `SELECT user_id, program_id, role FROM program_access`+where, args...)
	if err != nil {
		return nil, fmt.Errorf("db: read program access: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var uid, pid int64
		var role Role
		if err := rows.Scan(&uid, &pid, &role); err != nil {
			return nil, fmt.Errorf("db: scan program access: %w", err)
		}
		a := get(uid)
		if roleRank(role) > roleRank(a.programs[pid]) {
			a.programs[pid] = role
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	mrows, err := q.QueryContext(ctx, `SELECT user_id, program_id FROM program_members`+where+` ORDER BY program_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("db: read program memberships: %w", err)
	}
	defer mrows.Close()
	for mrows.Next() {
		var uid, pid int64
		if err := mrows.Scan(&uid, &pid); err != nil {
			return nil, fmt.Errorf("db: scan program membership: %w", err)
		}
		get(uid).members = append(get(uid).members, pid)
	}
	if err := mrows.Err(); err != nil {
		return nil, err
	}
	orows, err := q.QueryContext(ctx, `SELECT m.user_id, m.org_id, m.role, o.name FROM org_members m JOIN organisations o ON o.id = m.org_id`+
		strings.Replace(where, "user_id", "m.user_id", 1)+` ORDER BY m.org_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("db: read organisation memberships: %w", err)
	}
	defer orows.Close()
	for orows.Next() {
		var uid int64
		var m OrgRole
		if err := orows.Scan(&uid, &m.OrgID, &m.Role, &m.OrgName); err != nil {
			return nil, fmt.Errorf("db: scan organisation membership: %w", err)
		}
		get(uid).orgs = append(get(uid).orgs, m)
	}
	return out, orows.Err()
}

// setAccess fills u's programs, roles and organisations from a.
func (u *User) setAccess(a *access) {
	u.ProgramIDs, u.programRoles, u.Orgs, u.MemberProgramIDs = nil, nil, nil, nil
	if a == nil {
		return
	}
	u.programRoles = a.programs
	for pid := range a.programs {
		u.ProgramIDs = append(u.ProgramIDs, pid)
	}
	sort.Slice(u.ProgramIDs, func(i, j int) bool { return u.ProgramIDs[i] < u.ProgramIDs[j] })
	u.Orgs, u.MemberProgramIDs = a.orgs, a.members
}

// userAccess loads the access of one user into u.
func userAccess(ctx context.Context, q querier, u *User) error {
	all, err := loadAccess(ctx, q, u.ID)
	if err != nil {
		return err
	}
	u.setAccess(all[u.ID])
	return nil
}

// AddOrgMember is the operator's (the CLI's, which may print the setup
// link): it gives the account of an address a role in an organisation at
// once, in one transaction. Without such an account it creates one (no
// instance role: users.role viewer and no program of its own, so the
// organisation is all it reaches) and returns its one-time setup token. An
// account that exists already is drawn in only with trustExisting (the
// operator looked at it: AccountOrigin); otherwise the answer is ECONFLICT
// and nothing changes: whoever controls that account (who may not be the
// owner of the address: an organisation's admin could create accounts
// before invitations) must not reach another organisation unasked. The
// dashboard invites instead (InviteMember).
func (db *DB) AddOrgMember(ctx context.Context, orgID int64, in *NewUser, role Role, trustExisting bool, actor Actor) (*User, string, error) {
	in.Password, in.Role, in.ProgramIDs = "", RoleViewer, nil
	if !role.Valid() {
		return nil, "", Invalid(FieldErrors{"role": "Choose admin, triager or viewer."})
	}
	if errs := in.Validate(); len(errs) > 0 {
		return nil, "", Invalid(errs)
	}
	var u *User
	var token string
	err := db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM users WHERE email = ?`, in.Email).Scan(&id)
		if err == sql.ErrNoRows {
			if id, err = tx.createUser(ctx, in, "", actor); err != nil {
				return err
			}
			if token, err = tx.createToken(ctx, id, TokenSetup, db.Auth.InviteLifetime); err != nil {
				return err
			}
		} else if err != nil {
			return fmt.Errorf("db: find user: %w", err)
		} else if !trustExisting {
			return Errorf(ECONFLICT, "This address has an account already.")
		}
		if err := tx.setOrgMember(ctx, orgID, id, role, actor); err != nil {
			return err
		}
		if token == "" {
			// The audit log says the operator vouched for the account.
			if err := tx.audit(ctx, actor, "org.member.trust_existing", in.Email, fmt.Sprintf("org=%d", orgID)); err != nil {
				return err
			}
		}
		u, err = tx.userByID(ctx, id)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return u, token, nil
}

// AccountOrigin says when and by whom the account of an address was created
// (its user.create audit row), for the operator deciding whether to trust
// it; by is "" when the audit log does not say.
func (db *DB) AccountOrigin(ctx context.Context, email string) (at time.Time, by string, err error) {
	var when string
	err = db.read.QueryRowContext(ctx, `SELECT at, actor FROM audit WHERE action = 'user.create' AND target = ? COLLATE NOCASE
		ORDER BY id DESC LIMIT 1`, email).Scan(&when, &by)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, "", nil
	} else if err != nil {
		return time.Time{}, "", fmt.Errorf("db: account origin: %w", err)
	}
	return parseTime(when), by, nil
}
