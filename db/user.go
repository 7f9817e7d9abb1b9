package db

import "time"

// Role is what a staff user may do.
type Role string

// Staff roles: admins run the portal and see every program; triagers work
// their programs' reports; viewers read them.
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
	// ProgramIDs are the programs the user is a member of, loaded with the
	// session so each request asks the database once.
	ProgramIDs []int64
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
