package handlers

import (
	"net/http"
	"strconv"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/views"
	"github.com/labstack/echo/v4"
)

// passwordForm shows the form that changes one's own password. The form
// asks for the current password: that is its re-authentication.
func (s *Server) passwordForm(c echo.Context) error {
	m := views.PasswordChange{StaffPage: s.staffPage(c, "Change your password", ""), Errors: db.FieldErrors{}}
	if c.QueryParam("done") == "1" {
		m.Done = true
		m.Ended, _ = strconv.Atoi(c.QueryParam("ended"))
	}
	return s.render(c, http.StatusOK, views.PasswordView(m))
}

// changePassword sets the user's new password; every other session of the
// account ends (db.ChangePassword), this one stays.
func (s *Server) changePassword(c echo.Context) error {
	r := c.Request()
	n, err := s.store.ChangePassword(r.Context(), s.sessionToken(c), r.PostFormValue("current"),
		r.PostFormValue("password"), r.PostFormValue("password2"), clientAddr(c))
	fields := db.ErrorFields(err)
	m := views.PasswordChange{StaffPage: s.staffPage(c, "Change your password", "")}
	switch {
	case fields != nil:
		if fields["current"] != "" {
			s.log.Warn("password change: wrong current password", "user_id", staffUser(c).ID, "client", clientAddr(c))
			s.cfg.Metrics.SecurityEvent("login_failed")
		}
		m.Errors = fields
		return s.render(c, errorStatus(err), views.PasswordView(m))
	case db.ErrorCode(err) == db.ELOCKED:
		setRetryAfter(c, err)
		m.Errors = db.FieldErrors{"current": db.ErrorMessage(err)}
		return s.render(c, errorStatus(err), views.PasswordView(m))
	case err != nil:
		return err
	}
	s.log.Info("password changed", "user_id", staffUser(c).ID, "sessions_ended", n)
	return c.Redirect(http.StatusSeeOther, "/account/password?done=1&ended="+strconv.Itoa(n))
}
