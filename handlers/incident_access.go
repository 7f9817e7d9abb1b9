package handlers

import (
	"net/http"

	"github.com/disclose/disclose/db"
	"github.com/labstack/echo/v4"
)

// The incident rules, in the words of access.go (the organisation's pages
// of incidents use OrgReader and OrgWriter, shared with advisories):
//
//   - IncidentReader: Staff with a role in the organisation of the incident
//     named by :inc (INC-N), or in its parent. Otherwise 404, as for an
//     incident that does not exist, so incidents of other organisations
//     cannot be probed. Sub-resources (an obligation's :id) are then looked
//     up under this incident only.
//   - IncidentWriter: IncidentReader, and the role is admin or triager.
//
// Incidents belong to organisations, not programs: a program-only member
// (program_members) reaches the reports of the program but not the
// organisation's incidents.

const incidentKey = "incident"

// incidentGuard is guard for the incident rules.
func (s *Server) incidentGuard(a Access) []echo.MiddlewareFunc {
	switch a {
	case IncidentReader:
		return []echo.MiddlewareFunc{s.requireSession(false), s.requireIncident(false)}
	case IncidentWriter:
		return []echo.MiddlewareFunc{s.requireSession(false), s.requireIncident(true)}
	}
	panic("handlers: not an incident rule (" + a.String() + ")")
}

// orgRoleWrites says whether a role may act on an organisation's incidents.
func orgRoleWrites(r db.Role) bool { return r == db.RoleAdmin || r == db.RoleTriager }

// checkOrgRole is the decision of the incident rules: 404 without a role in
// o, 403 for a viewer where write is needed.
func (s *Server) checkOrgRole(c echo.Context, o *db.Organisation, write bool) error {
	u := staffUser(c)
	role := db.Role("")
	if !u.Disabled {
		role = u.OrgRole(o)
	}
	if role == "" {
		s.log.Warn("organisation of another tenant refused", "route", c.Path(), "user_id", u.ID)
		return echo.NewHTTPError(http.StatusNotFound)
	}
	if write && !orgRoleWrites(role) {
		s.log.Warn("read-only user refused", "route", c.Path(), "user_id", u.ID)
		return errForbiddenRole
	}
	c.Set(orgKey, o)
	return nil
}

// requireIncident loads :inc and applies IncidentReader (or IncidentWriter).
func (s *Server) requireIncident(write bool) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			ctx := c.Request().Context()
			id, ok := db.ParseIncidentRef(c.Param("inc"))
			if !ok {
				return echo.NewHTTPError(http.StatusNotFound)
			}
			i, err := s.store.IncidentByID(ctx, id)
			if db.ErrorCode(err) == db.ENOTFOUND {
				return echo.NewHTTPError(http.StatusNotFound)
			} else if err != nil {
				return err
			}
			o, err := s.store.OrgByID(ctx, i.OrgID)
			if err != nil {
				return err
			}
			if err := s.checkOrgRole(c, o, write); err != nil {
				return err
			}
			c.Set(incidentKey, i)
			return next(c)
		}
	}
}

// incidentOf is the incident of a request behind IncidentReader or
// IncidentWriter.
func incidentOf(c echo.Context) *db.Incident {
	i, _ := c.Get(incidentKey).(*db.Incident)
	return i
}
