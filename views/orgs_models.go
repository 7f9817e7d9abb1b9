package views

import (
	"strings"
	"time"

	"github.com/disclose/disclose/db"
)

// Orgs is the list of the organisations a user manages; site admins also
// get the form that creates one.
type Orgs struct {
	StaffPage
	Orgs      []*db.Organisation
	Names     map[int64]string // organisation names by id, for parents
	CanCreate bool
	Values    map[string]string
	Errors    db.FieldErrors
}

// Org is one organisation's admin page: its settings, host names, programs
// and members, and its children.
type Org struct {
	StaffPage
	Org       *db.Organisation
	Parent    *db.Organisation // nil for a top-level organisation
	Children  []*db.Organisation
	Programs  []*db.Program
	Members   []db.OrgMember
	Mailboxes []*db.Mailbox
	SiteAdmin bool // may map host names and move programs
	// AllOrgs are where a program can move (site admins only).
	AllOrgs []*db.Organisation
	Notice  string
	// Invites are the pending invitations (an address's owner becomes a
	// member by accepting one); Now tells the expired ones.
	Invites []*db.OrgInvite
	Now     time.Time
	Values  map[string]string
	Errors  db.FieldErrors
}

func joinComma(list []string) string { return strings.Join(list, ", ") }

func programName(ps []*db.Program, id int64) string {
	for _, p := range ps {
		if p.ID == id {
			return p.Name
		}
	}
	return ""
}

// RoleSummary says what an account is, for its own menu and the account
// review: "site admin", or its role in each organisation ("admin of
// Client, viewer of Agency"), with the role of programs it was given one
// by one. users.role alone would call an organisation's admin a viewer.
func RoleSummary(u *db.User) string {
	if u.Role == db.RoleAdmin {
		return "site admin"
	}
	var parts []string
	if len(u.MemberProgramIDs) > 0 {
		parts = append(parts, string(u.Role)+" of "+plural(len(u.MemberProgramIDs), "a program", itoa(len(u.MemberProgramIDs))+" programs"))
	}
	for _, m := range u.Orgs {
		parts = append(parts, string(m.Role)+" of "+m.OrgName)
	}
	if len(parts) == 0 {
		return "no access"
	}
	return strings.Join(parts, ", ")
}

// slugHint says how the slug of a new program or client is made: an
// organisation's admin's is namespaced under the organisation's.
func (m Org) slugHint() string {
	if m.SiteAdmin {
		return "Lower-case letters, digits and dashes."
	}
	return "Lower-case letters, digits and dashes; it starts with " + m.Org.Slug + "- (added if you leave it out)."
}
