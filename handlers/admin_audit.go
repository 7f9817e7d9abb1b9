package handlers

import (
	"net/http"
	"strconv"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/views"
	"github.com/labstack/echo/v4"
)

// adminAudit lists the audit log, newest first, filtered by the query.
func (s *Server) adminAudit(c echo.Context) error { return s.auditLog(c, "/admin/audit", nil) }

// orgAudit lists the audit rows of the rule's organisation and its
// children (db.AuditFilter.Org), for its admins.
func (s *Server) orgAudit(c echo.Context) error {
	o := orgOf(c)
	return s.auditLog(c, "/orgs/"+o.Slug+"/audit", o)
}

// auditLog is the audit page at path: the whole log, or org's rows.
func (s *Server) auditLog(c echo.Context, path string, org *db.Organisation) error {
	q := c.QueryParams()
	f := db.AuditFilter{Actor: q.Get("actor"), Action: q.Get("action"), Target: q.Get("target"), Limit: 100}
	filter := map[string]string{"actor": f.Actor, "action": f.Action, "target": f.Target, "from": q.Get("from"), "to": q.Get("to")}
	m := views.AdminAudit{StaffPage: s.staffPage(c, "Audit log", "admin"), Filter: filter, Path: path, Org: org}
	if org != nil {
		f.Org = org.ID
		m.StaffPage = s.staffPage(c, "Audit log of "+org.Name, "admin")
	}
	if v := q.Get("from"); v != "" {
		t, err := time.Parse("2006-01-02", v)
		if err != nil {
			m.Error = "Dates are YYYY-MM-DD."
		}
		f.From = t
	}
	if v := q.Get("to"); v != "" {
		t, err := time.Parse("2006-01-02", v)
		if err != nil {
			m.Error = "Dates are YYYY-MM-DD."
		}
		f.To = t.AddDate(0, 0, 1) // the whole "to" day
	}
	f.Before, _ = strconv.ParseInt(q.Get("before"), 10, 64)
	page, err := s.store.ListAudit(c.Request().Context(), f)
	if err != nil {
		return err
	}
	m.Entries = page.Entries
	if page.Next != 0 {
		next := c.Request().URL.Query()
		next.Set("before", strconv.FormatInt(page.Next, 10))
		m.NextURL = path + "?" + next.Encode()
	}
	status := http.StatusOK
	if m.Error != "" {
		status = http.StatusUnprocessableEntity
	}
	return s.render(c, status, views.AdminAuditView(m))
}
