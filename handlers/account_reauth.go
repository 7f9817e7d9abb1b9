package handlers

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/views"
	"github.com/labstack/echo/v4"
)

// reauthFresh says whether the signed-in user typed their password within
// the re-authentication window (db.AuthPolicy.ReauthWindow).
func (s *Server) reauthFresh(c echo.Context) (bool, error) {
	return s.store.Reauthenticated(c.Request().Context(), s.sessionToken(c))
}

// reauthMinutes is the window as people read it.
func (s *Server) reauthMinutes() int { return int(s.store.ReauthWindow().Minutes()) }

// reauthRedirect sends the user to confirm their password, then back to next.
func reauthRedirect(c echo.Context, next string) error {
	return c.Redirect(http.StatusSeeOther, "/account/reauth?next="+url.QueryEscape(next))
}

func (s *Server) reauthForm(c echo.Context) error {
	return s.renderReauth(c, http.StatusOK, reauthNext(c.QueryParam("next")), nil)
}

func (s *Server) renderReauth(c echo.Context, status int, next string, errs db.FieldErrors) error {
	if errs == nil {
		errs = db.FieldErrors{}
	}
	return s.render(c, status, views.ReauthView(views.Reauth{StaffPage: s.staffPage(c, "Confirm your password", ""),
		Next: next, Email: staffUser(c).Email, Minutes: s.reauthMinutes(), Errors: errs}))
}

// reauth checks the password again. A wrong one counts like a failed
// sign-in (db.Reauthenticate), so a stolen cookie does not make guessing
// the password any cheaper.
func (s *Server) reauth(c echo.Context) error {
	r := c.Request()
	next := reauthNext(r.PostFormValue("next"))
	err := s.store.Reauthenticate(r.Context(), s.sessionToken(c), r.PostFormValue("password"), clientAddr(c))
	switch fields := db.ErrorFields(err); {
	case fields != nil:
		s.log.Warn("re-authentication failed", "user_id", staffUser(c).ID, "client", clientAddr(c))
		s.cfg.Metrics.SecurityEvent("login_failed")
		return s.renderReauth(c, errorStatus(err), next, fields)
	case db.ErrorCode(err) == db.ELOCKED:
		setRetryAfter(c, err)
		return s.renderReauth(c, errorStatus(err), next, db.FieldErrors{"password": db.ErrorMessage(err)})
	case err != nil:
		return err
	}
	s.log.Info("re-authenticated", "user_id", staffUser(c).ID)
	return c.Redirect(http.StatusSeeOther, next)
}

// reauthNext keeps the way back on the user's own account pages.
func reauthNext(next string) string {
	next = localNext(next)
	if u, err := url.Parse(next); err != nil || !strings.HasPrefix(u.Path, "/account/") {
		return "/account/2fa"
	}
	return next
}
