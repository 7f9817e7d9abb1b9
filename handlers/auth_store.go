package handlers

import (
	"context"

	"github.com/disclose/disclose/db"
)

// AuthStore is what sign-in, accounts and the admin pages need from the
// database.
type AuthStore interface {
	Login(ctx context.Context, email, password, clientAddr string) (*db.LoginResult, error)
	LoginSecondFactor(ctx context.Context, pendingToken, code, clientAddr string) (*db.LoginResult, error)
	UserBySession(ctx context.Context, token string) (*db.User, error)
	UserByPendingSession(ctx context.Context, token string) (*db.User, error)
	Logout(ctx context.Context, token string, actor db.Actor) error

	TokenInfo(ctx context.Context, token string) (*db.TokenInfo, error)
	RedeemToken(ctx context.Context, token string, in *db.Redeem, clientAddr string) (*db.User, error)
	StartTOTP(ctx context.Context, userID int64) (*db.TOTPEnrolment, error)
	PendingTOTP(ctx context.Context, userID int64) (*db.TOTPEnrolment, error)
	ConfirmTOTP(ctx context.Context, userID int64, code string, actor db.Actor) ([]string, error)
	RecoveryCodesLeft(ctx context.Context, userID int64) (int, error)

	Users(ctx context.Context) ([]*db.User, error)
	UserByID(ctx context.Context, id int64) (*db.User, error)
	InviteUser(ctx context.Context, in *db.NewUser, actor db.Actor) (*db.User, string, error)
	UpdateUser(ctx context.Context, userID int64, name string, role db.Role, programIDs []int64, actor db.Actor) error
	SetUserDisabled(ctx context.Context, userID int64, disabled bool, actor db.Actor) error
	ResetLink(ctx context.Context, userID int64, actor db.Actor) (string, error)
	ResetTOTP(ctx context.Context, userID int64, actor db.Actor) error
	Require2FA(ctx context.Context) (bool, error)
	SetRequire2FA(ctx context.Context, on bool, actor db.Actor) error

	ProgramByID(ctx context.Context, id int64) (*db.Program, error)
	ProgramMembers(ctx context.Context, programID int64) ([]int64, error)
	SaveProgram(ctx context.Context, p *db.Program, memberIDs []int64, actor db.Actor) (*db.Program, error)
	ListAudit(ctx context.Context, f db.AuditFilter) (*db.AuditPage, error)
}
