package views

import "github.com/disclose/disclose/db"

// Reauth asks a signed-in user for their password again before a change
// that would let a stolen session take the account over.
type Reauth struct {
	StaffPage
	Next    string // where to go on, a path of this site
	Email   string // for password managers
	Minutes int    // how long the confirmation holds
	Errors  db.FieldErrors
}

// PasswordChange is the form that changes one's own password.
type PasswordChange struct {
	StaffPage
	Errors db.FieldErrors
	Done   bool
	Ended  int // other sessions that ended with the change
}

// Sessions lists the signed-in user's own sessions.
type Sessions struct {
	StaffPage
	Sessions []*db.SessionInfo
	Notice   string
}

// others counts the sessions that are not the one asking.
func (m Sessions) others() int {
	n := 0
	for _, s := range m.Sessions {
		if !s.Current {
			n++
		}
	}
	return n
}
