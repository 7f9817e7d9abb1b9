package handlers

import (
	"context"
	"net/http"
	"strconv"

	"github.com/disclose/disclose/db"
	"github.com/labstack/echo/v4"
)

// KeyCandidateStore is what the report page needs for the public keys that
// came with a report's mail.
type KeyCandidateStore interface {
	KeyCandidates(ctx context.Context, reportID int64) ([]*db.KeyCandidate, error)
	AcceptKeyCandidate(ctx context.Context, reportID, candidateID int64, actor db.Actor) error
}

// triageAcceptKey saves a key that came with mail as the reporter's key:
// later mail is verified against it and replies are encrypted to it. A
// candidate of another report is not found.
func (s *Server) triageAcceptKey(c echo.Context) error {
	r := reportOf(c)
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	ks, ok := s.store.(KeyCandidateStore)
	if !ok {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	if err := ks.AcceptKeyCandidate(c.Request().Context(), r.ID, id, actor(c)); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/triage/reports/"+r.Ref()+"?done=key")
}
