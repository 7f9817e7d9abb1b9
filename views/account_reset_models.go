package views

import "github.com/disclose/disclose/db"

// Forgot is the "forgot your password?" page: the form, or (Sent) the
// answer, which is the same for every address.
type Forgot struct {
	Page
	Email  string
	Errors db.FieldErrors
	Sent   bool
}

// AdminReview is the account review page.
type AdminReview struct {
	StaffPage
	Users         []*db.Reviewed
	Programs      []*db.Program
	Invites       map[int64][]db.OrgRole // pending invitations by user id
	InactiveAfter string                 // "90 days"
	AutoDisable   bool
	Flagged       int // enabled accounts flagged inactive
	Notice        string
}
