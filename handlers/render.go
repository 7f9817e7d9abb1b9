package handlers

import (
	"bytes"

	"github.com/a-h/templ"
	"github.com/disclose/disclose/views"
	"github.com/labstack/echo/v4"
)

// render writes a component only after it rendered whole, so a failed render
// becomes an error page rather than half a page.
func (s *Server) render(c echo.Context, status int, comp templ.Component) error {
	var buf bytes.Buffer
	if err := comp.Render(c.Request().Context(), &buf); err != nil {
		return err
	}
	h := c.Response().Header()
	// Pages carry receipt codes, report text and form tokens: never cache them.
	h.Set("Cache-Control", "no-store")
	return c.Blob(status, "text/html; charset=utf-8", buf.Bytes())
}

// page fills what every layout needs.
func (s *Server) page(c echo.Context, title string) views.Page {
	p := views.Page{Title: title, CSRF: csrfToken(c), SecurityEmail: s.cfg.SecurityEmail}
	if o, err := s.hostOrg(c); err == nil {
		p.SecurityEmail = s.orgContact(o) // the host's organisation's address
	}
	if s.cfg.TeamKey != nil {
		p.KeyURL, p.Fingerprint = keyPath, s.cfg.TeamKey.Info().Fingerprint
	}
	return p
}
