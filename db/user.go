package db

import "time"

// Role is what a staff user may do.
type Role string

// Staff roles: admins run the portal and see every program; triagers work
// their programs' reports; viewers read them. As users.role, admin is the
// instance operator (site admin); triager and viewer are the role of the
// user's direct program memberships. As an organisation role (OrgRole),
// admin manages the organisation and its children and works their reports.
const (
	RoleAdmin   Role = "admin"
	RoleTriager Role = "triager"
	RoleViewer  Role = "viewer"
)

// Roles lists the roles in the order forms offer them.
var Roles = []Role{RoleAdmin, RoleTriager, RoleViewer}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == RoleAdmin || r == RoleTriager || r == RoleViewer }

// User is a staff account.
type User struct {
	ID          int64
	Email       string
	Name        string
	Role        Role
	Disabled    bool
	TOTPEnabled bool
	HasPassword bool
	LastLoginAt time.Time
	// ProgramIDs are the programs the user reaches (direct program
	// memberships, and the programs of the organisations the user is a
	// member of and of their children), loaded with the session so each
	// request asks the database once. Site admins reach every program
	// without being listed.
	ProgramIDs []int64
	// MemberProgramIDs are the user's direct program memberships (the
	// admin's user form edits them).
	MemberProgramIDs []int64
	// programRoles is the strongest role per program of ProgramIDs.
	programRoles map[int64]Role
	// Orgs are the user's direct organisation memberships.
	Orgs []OrgRole
	// MustEnroll is set when the portal requires a second factor and the
	// user has none yet.
	MustEnroll bool
}

// Actor returns the audit actor of u acting from clientAddr.
func (u *User) Actor(clientAddr string) Actor {
	return Actor{UserID: u.ID, Name: u.Email, ClientAddr: clientAddr}
}

// DisplayName is the name, or the email when no name was given.
func (u *User) DisplayName() string {
	if u.Name != "" {
		return u.Name
	}
	return u.Email
}

// MemberOf reports whether u belongs to the program (admins belong to all).
func (u *User) MemberOf(programID int64) bool {
	if u.Role == RoleAdmin {
		return true
	}
	for _, id := range u.ProgramIDs {
		if id == programID {
			return true
		}
	}
	return false
}

// IsSiteAdmin reports whether u is the instance operator: sees every
// organisation and program and manages organisations.
func (u *User) IsSiteAdmin() bool { return u != nil && u.Role == RoleAdmin }

// RoleIn is u's role for the reports of a program: admin for site admins,
// the strongest role of u's memberships reaching the program, or "" when
// none does.
func (u *User) RoleIn(programID int64) Role {
	if u.IsSiteAdmin() {
		return RoleAdmin
	}
	if r, ok := u.programRoles[programID]; ok {
		return r
	}
	return ""
}

// MayWrite reports whether u may change the reports of a program (admins
// and triagers; viewers only read).
func (u *User) MayWrite(programID int64) bool {
	r := u.RoleIn(programID)
	return r == RoleAdmin || r == RoleTriager
}

// WritablePrograms are the programs whose reports u may change; nil for a
// site admin (every program).
func (u *User) WritablePrograms() []int64 {
	if u.IsSiteAdmin() {
		return nil
	}
	out := []int64{}
	for _, id := range u.ProgramIDs {
		if u.MayWrite(id) {
			out = append(out, id)
		}
	}
	return out
}

// MayWriteAny reports whether u may change the reports of some program.
func (u *User) MayWriteAny() bool { return u.IsSiteAdmin() || len(u.WritablePrograms()) > 0 }

// OrgRole is u's role in an organisation, directly or through its parent
// (the stronger), or "" when u is no member of either.
func (u *User) OrgRole(o *Organisation) Role {
	if u.IsSiteAdmin() {
		return RoleAdmin
	}
	var best Role
	for _, m := range u.Orgs {
		if (m.OrgID == o.ID || m.OrgID == o.ParentID) && roleRank(m.Role) > roleRank(best) {
			best = m.Role
		}
	}
	return best
}

// Manages reports whether u administers an organisation: site admins every
// one, an organisation's admins it and its children.
func (u *User) Manages(o *Organisation) bool { return u.OrgRole(o) == RoleAdmin }

// ManagesAny reports whether u administers some organisation.
func (u *User) ManagesAny() bool {
	if u.IsSiteAdmin() {
		return true
	}
	for _, m := range u.Orgs {
		if m.Role == RoleAdmin {
			return true
		}
	}
	return false
}
