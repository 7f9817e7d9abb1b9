package views

import "github.com/disclose/disclose/db"

// Passkeys is the page of the signed-in user's passkeys.
type Passkeys struct {
	StaffPage
	Keys   []*db.Passkey
	Notice string
	Error  string
	// Codes are recovery codes made with the account's first second
	// factor, shown once.
	Codes []string
	// NeedReauth hides the form that adds one until the password (or
	// another sign-in) is recent.
	NeedReauth    bool
	ReauthMinutes int
}
