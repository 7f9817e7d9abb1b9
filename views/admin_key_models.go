package views

import "github.com/disclose/disclose/db"

// AdminKey is the team key page.
type AdminKey struct {
	StaffPage
	HasKey      bool
	Fingerprint string
	Algorithm   string
	UserIDs     []string
	CreatedText string
	ExpiresText string
	ExpiresSoon bool
	Expired     bool
	Unlocked    bool
	CanControl  bool
	Notice      string
	Errors      db.FieldErrors
}
