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
}
