package db

// Role is what a staff user may do.
type Role string

// Staff roles: admins run the portal and see every program; triagers work
// their programs' reports; viewers read them.
const (
	RoleAdmin   Role = "admin"
	RoleTriager Role = "triager"
	RoleViewer  Role = "viewer"
)

// User is a staff account.
type User struct {
	ID       int64
	Email    string
	Name     string
	Role     Role
	Disabled bool
}

// Actor returns the audit actor of u acting from clientAddr.
func (u *User) Actor(clientAddr string) Actor {
	return Actor{UserID: u.ID, Name: u.Email, ClientAddr: clientAddr}
}
