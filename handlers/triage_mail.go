package handlers

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
)

// triageAcceptMail accepts an unverified mail (db.Message.Unverified) as the
// reporter's: it joins their timeline and counts as their reply. An entry
// of another report, or one not waiting, is not found.
func (s *Server) triageAcceptMail(c echo.Context) error {
	r := reportOf(c)
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	if err := s.store.AcceptMail(c.Request().Context(), r.ID, id, actor(c)); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/triage/reports/"+r.Ref()+"?done=mail")
}
