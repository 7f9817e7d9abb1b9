package handlers

import (
	"net/http"

	"github.com/disclose/disclose/views"
	"github.com/labstack/echo/v4"
)

// sessionsPage lists the user's own sessions, this one marked.
func (s *Server) sessionsPage(c echo.Context) error {
	list, err := s.store.SessionsOf(c.Request().Context(), s.sessionToken(c))
	if err != nil {
		return err
	}
	m := views.Sessions{StaffPage: s.staffPage(c, "Your sessions", ""), Sessions: list}
	switch c.QueryParam("done") {
	case "one":
		m.Notice = "The session was ended."
	case "others":
		m.Notice = "Every other session was ended."
	}
	return s.render(c, http.StatusOK, views.SessionsView(m))
}

// endSession ends one other session of the user; an id that is not one of
// them (another user's, or gone) is 404, like an unknown page.
func (s *Server) endSession(c echo.Context) error {
	if err := s.store.EndSession(c.Request().Context(), s.sessionToken(c), c.Param("id"), actor(c)); err != nil {
		return err
	}
	s.log.Info("session ended by its user", "user_id", staffUser(c).ID)
	return c.Redirect(http.StatusSeeOther, "/account/sessions?done=one")
}

func (s *Server) endOtherSessions(c echo.Context) error {
	n, err := s.store.EndOtherSessions(c.Request().Context(), s.sessionToken(c), actor(c))
	if err != nil {
		return err
	}
	s.log.Info("other sessions ended by their user", "user_id", staffUser(c).ID, "ended", n)
	return c.Redirect(http.StatusSeeOther, "/account/sessions?done=others")
}
