package views

import (
	"time"

	"github.com/disclose/disclose/db"
)

// AccountTokens is the API tokens page of the signed-in user.
type AccountTokens struct {
	StaffPage
	Tokens []*db.APIToken
	Orgs   []*db.Organisation // the organisation limits the user may choose
	Now    time.Time
	Notice string
	// Secret is the token just made (shown once), Created its row.
	Secret  string
	Created *db.APIToken
	// NeedReauth hides the form until the password was confirmed recently.
	NeedReauth    bool
	ReauthMinutes int
	Values        map[string]string
	Errors        db.FieldErrors
}

// TokenExpiries are the choices of a new token's life: days, and label.
var TokenExpiries = [][2]string{{"30", "in 30 days"}, {"90", "in 90 days"}, {"365", "in a year"}, {"0", "never (until revoked)"}}

func scopeLabel(s db.APIScope) string {
	switch s {
	case db.ScopeRead:
		return "read: the queue, reports, programs"
	case db.ScopeWrite:
		return "write: also change, reply and note"
	}
	return "admin: also the audit log (site admins)"
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}
