package handlers

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/db/publish"
	"github.com/labstack/echo/v4"
)

// cveRoutes serve the CVE JSON 5 record of each CVE of an advisory: to the
// organisation's staff for any state (a CNA submits it before publication),
// and to the public on the organisation's host once the advisory is public,
// under the same rule as its page and its OSV record.
func (s *Server) cveRoutes() []route {
	return []route{
		{get, "/orgs/:org/advisories/:id/cve/:cve", OrgReader, s.advisoryCVE, nil}, // :id of :org, :cve one of its CVEs
		{get, "/advisories/:id/cve/:file", Public, s.publicCVE, nil},               // :file is CVE-YYYY-N.json
	}
}

// cveStaffURL is the dashboard's download of an advisory's CVE record.
func cveStaffURL(o *db.Organisation, a *db.Advisory, cve string) string {
	return "/orgs/" + url.PathEscape(o.Slug) + "/advisories/" + a.Ident + "/cve/" + cve
}

// cvePublicURL is a public advisory's CVE record.
func cvePublicURL(a *db.Advisory, cve string) string {
	return "/advisories/" + a.Ident + "/cve/" + cve + ".json"
}

// advisoryCVE is the download for the CNA, drafts included. It is never
// cached: a draft's record is embargoed text.
func (s *Server) advisoryCVE(c echo.Context) error {
	a, err := s.advisoryOf(c)
	if err != nil {
		return err
	}
	return s.sendCVE(c, orgOf(c), a, c.Param("cve"), true)
}

// publicCVE is the record of a CVE of a public advisory of the host
// organisation; 404 for any other advisory, as its page is.
func (s *Server) publicCVE(c echo.Context) error {
	o, err := s.hostOrg(c)
	if err != nil {
		return err
	}
	cve, ok := strings.CutSuffix(c.Param("file"), ".json")
	if !ok {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	a, err := s.store.PublicAdvisory(c.Request().Context(), o.ID, c.Param("id"))
	if db.ErrorCode(err) == db.ENOTFOUND {
		return echo.NewHTTPError(http.StatusNotFound)
	} else if err != nil {
		return err
	}
	return s.sendCVE(c, o, a, cve, false)
}

// sendCVE answers the record of cve, one of a's CVEs, or 404.
func (s *Server) sendCVE(c echo.Context, o *db.Organisation, a *db.Advisory, cve string, staff bool) error {
	doc, err := publish.CVE(a, cve, s.site(o))
	if db.ErrorCode(err) == db.ENOTFOUND {
		return echo.NewHTTPError(http.StatusNotFound)
	} else if err != nil {
		return err
	}
	h := c.Response().Header()
	if staff {
		h.Set("Cache-Control", "no-store")
		// cve is one of the advisory's validated CVE IDs: safe in a header.
		h.Set("Content-Disposition", `attachment; filename="`+cve+`.json"`)
	} else {
		h.Set("Cache-Control", "public, max-age=300")
	}
	return c.Blob(http.StatusOK, "application/json", doc)
}
