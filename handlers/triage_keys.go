package handlers

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
)

// triageAcceptKey saves a key that came with mail as the reporter's key:
// later mail is verified against it and replies are encrypted to it. A
// candidate of another report is not found.
func (s *Server) triageAcceptKey(c echo.Context) error {
	r := reportOf(c)
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	if err := s.store.AcceptKeyCandidate(c.Request().Context(), r.ID, id, actor(c)); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/triage/reports/"+r.Ref()+"?done=key")
}
