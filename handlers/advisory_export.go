package handlers

import (
	"net/http"
	"strings"

	"github.com/disclose/disclose/db/publish"
	"github.com/labstack/echo/v4"
)

// advisoryExport serves an advisory of the rule's organisation, in any
// state, in a machine-readable format as a download: the dashboard's export,
// so that a draft's CSAF and OSV can be checked (by the team or a
// coordinator's tools) before anything is public. A draft's CSAF is status
// draft, version 0 (publish.CSAF). Never cached: a draft is confidential.
func (s *Server) advisoryExport(format string) echo.HandlerFunc {
	return func(c echo.Context) error {
		a, err := s.advisoryOf(c)
		if err != nil {
			return err
		}
		site := s.site(orgOf(c))
		var doc []byte
		switch format {
		case "csaf":
			doc, err = publish.CSAF(a, site)
		case "osv":
			if !publish.HasOSV(a) {
				return echo.NewHTTPError(http.StatusNotFound)
			}
			doc, err = publish.OSV(a, site)
		}
		if err != nil {
			return err
		}
		h := c.Response().Header()
		h.Set("Cache-Control", "no-store")
		h.Set("Content-Disposition", `attachment; filename="`+strings.ToLower(a.Ident)+"-"+format+`.json"`)
		return c.Blob(http.StatusOK, "application/json", doc)
	}
}
