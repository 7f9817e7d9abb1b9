package handlers

import (
	"net/http"
	"strings"

	"github.com/disclose/disclose/db"
	"github.com/labstack/echo/v4"
)

// triageRoutes is the part of the route table for the queue and the report
// pages. Every route sits behind requireStaff; which reports a user may see
// and change is decided by triageReport and scopeQueue below, and nowhere
// else.
func (s *Server) triageRoutes(e *echo.Echo) {
	t := e.Group("/triage", s.requireStaff)
	t.GET("", s.triageQueue)
	t.GET("/metrics", s.triageMetrics)
	t.GET("/export.csv", s.triageExport("csv"), s.requireRole(db.RoleAdmin, db.RoleTriager))
	t.GET("/export.json", s.triageExport("json"), s.requireRole(db.RoleAdmin, db.RoleTriager))
	t.GET("/reports/:ref", s.triageReportPage)
	t.GET("/reports/:ref/attachments/:id", s.triageAttachment)
	t.GET("/reports/:ref/mail/:entry", s.triageRawMail)
	t.POST("/reports/:ref/reply", s.triageReply)
	t.POST("/reports/:ref/note", s.triageNote)
	t.POST("/reports/:ref/state", s.triageState)
	t.POST("/reports/:ref/assign", s.triageAssign)
	t.POST("/reports/:ref/fields", s.triageFields)
	t.POST("/reports/:ref/keys/:id/accept", s.triageAcceptKey)
	t.POST("/reports/:ref/entries/:id/accept", s.triageAcceptMail)
}

// visiblePrograms is the queue's program scope of u: nil (every program)
// for admins, the user's memberships otherwise.
func visiblePrograms(u *db.User) []int64 {
	if u.Role == db.RoleAdmin {
		return nil
	}
	return append([]int64{}, u.ProgramIDs...)
}

// scopeQueue restricts a queue filter (queue page, exports) to what u may
// see. It reports false when the filter names a program u is not in; the
// caller answers as for an unknown program.
func (s *Server) scopeQueue(u *db.User, f *db.QueueFilter) bool {
	f.Visible = visiblePrograms(u)
	if f.ProgramID != 0 && !s.canSeeProgram(u, f.ProgramID) {
		f.ProgramID = 0
		return false
	}
	return true
}

// triageReport is the one authorization check of a report: it loads the
// report named in the URL and answers 404, the same as for a report that
// does not exist, when the user may not see its program, so references of
// other programs cannot be probed. With write, a user who may only read
// gets 403 (after the visibility check, so 403 never confirms a report).
func (s *Server) triageReport(c echo.Context, write bool) (*db.Report, error) {
	u := staffUser(c)
	r, err := s.store.ReportByRef(c.Request().Context(), strings.TrimSpace(c.Param("ref")))
	if db.ErrorCode(err) == db.ENOTFOUND {
		return nil, echo.NewHTTPError(http.StatusNotFound)
	} else if err != nil {
		return nil, err
	}
	if !s.canSeeProgram(u, r.ProgramID) {
		s.log.Warn("report of another program refused", "route", c.Path(), "user_id", u.ID)
		return nil, echo.NewHTTPError(http.StatusNotFound)
	}
	if write && !s.canWriteReports(u) {
		s.log.Warn("read-only user refused", "route", c.Path(), "user_id", u.ID)
		return nil, errForbiddenRole
	}
	return r, nil
}
