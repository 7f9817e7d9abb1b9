package handlers

import (
	"context"
	"time"

	"github.com/disclose/disclose/db"
)

// AccountStore is what a signed-in user's own account pages need: each
// method acts on the user of the session token it is given, never on an
// account named in the request.
type AccountStore interface {
	ReauthWindow() time.Duration
	Reauthenticated(ctx context.Context, token string) (bool, error)
	Reauthenticate(ctx context.Context, token, password, clientAddr string) error
	ChangePassword(ctx context.Context, token, current, password, password2, clientAddr string) (int, error)
	ReplaceTOTP(ctx context.Context, token string, actor db.Actor) error
	SessionsOf(ctx context.Context, token string) ([]*db.SessionInfo, error)
	EndSession(ctx context.Context, token, id string, actor db.Actor) error
	EndOtherSessions(ctx context.Context, token string, actor db.Actor) (int, error)
}
