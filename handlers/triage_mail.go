package handlers

import (
	"context"
	"net/http"
	"strconv"

	"github.com/disclose/disclose/db"
	"github.com/labstack/echo/v4"
)

// MailAcceptStore accepts a mail that reached a report by its subject tag
// alone as the reporter's.
type MailAcceptStore interface {
	AcceptMail(ctx context.Context, reportID, entryID int64, actor db.Actor) error
}

// triageAcceptMail accepts an unverified mail (db.Message.Unverified) as the
// reporter's: it joins their timeline and counts as their reply. An entry
// of another report, or one not waiting, is not found.
func (s *Server) triageAcceptMail(c echo.Context) error {
	r := reportOf(c)
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	ms, ok := s.store.(MailAcceptStore)
	if !ok {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	if err := ms.AcceptMail(c.Request().Context(), r.ID, id, actor(c)); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/triage/reports/"+r.Ref()+"?done=mail")
}
