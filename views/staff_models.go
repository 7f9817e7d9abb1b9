package views

import (
	"time"

	"github.com/disclose/disclose/db"
)

// StaffPage is what every dashboard page's layout needs.
type StaffPage struct {
	Page
	User *db.User
	// Section marks the current nav entry: "queue" or "admin".
	Section string
	// Problems are what an admin must act on (full disk, mail login refused);
	// filled for admins only.
	Problems []db.Problem
}

// IsAdmin says whether the admin entries are shown.
func (p StaffPage) IsAdmin() bool { return p.User != nil && p.User.Role == db.RoleAdmin }

// Login is the sign-in form.
type Login struct {
	Page
	Email  string
	Next   string
	Error  string
	Notice string
	SSO    []SSOButton // single sign-on providers (sso.templ)
}

// LoginCode asks for the second factor after the password.
type LoginCode struct {
	Page
	Next  string
	Error string
}

// When formats a time for staff pages, in UTC, or "never".
func When(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}
