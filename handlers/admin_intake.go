package handlers

import (
	"fmt"
	"mime"
	"net/http"
	"strconv"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/views"
	"github.com/labstack/echo/v4"
)

// adminIntake shows admins how mail intake goes: last poll, last error,
// counts, and the mail kept aside (auto-replies, bounces, duplicates, set
// aside) with downloads.
func (s *Server) adminIntake(c echo.Context) error {
	ctx := c.Request().Context()
	st, err := s.store.IntakeStatus(ctx)
	if err != nil {
		return err
	}
	kept, err := s.store.KeptMail(ctx, 100)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, views.AdminIntakeView(views.AdminIntake{
		StaffPage: s.staffPage(c, "Mail intake", "admin"), Status: st, Kept: kept}))
}

// adminIntakeMail downloads a kept message (admins only, by the route).
func (s *Server) adminIntakeMail(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	m, err := s.store.RawMailByID(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return s.sendRawMail(c, m)
}

// ServeRawMail downloads the raw message behind a timeline entry, exactly as
// received, so that nothing is lost to a parsing bug. It checks nothing
// itself: reportID is the report a ReportReader route checked.
func (s *Server) ServeRawMail(c echo.Context, reportID, entryID int64) error {
	m, err := s.store.RawMailOf(c.Request().Context(), reportID, entryID)
	if err != nil {
		return err
	}
	return s.sendRawMail(c, m)
}

// sendRawMail streams a raw message as a download, never rendered: mail
// may carry HTML and scripts.
func (s *Server) sendRawMail(c echo.Context, m *db.RawMail) error {
	name := fmt.Sprintf("mail-%d.eml", m.ID)
	if m.Ref != "" {
		name = fmt.Sprintf("%s-mail-%d.eml", m.Ref, m.ID)
	}
	h := c.Response().Header()
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Length", strconv.FormatInt(m.Size, 10))
	c.Response().WriteHeader(http.StatusOK)
	if err := s.store.WriteRawMail(c.Request().Context(), m.ID, c.Response()); err != nil {
		// The status is sent; the client sees a short download.
		s.logFailure(c, "send raw mail", "mail", m.ID, "error", err)
	}
	return nil
}
