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
func (s *Server) adminAudit(c echo.Context) error {
	q := c.QueryParams()
	f := db.AuditFilter{Actor: q.Get("actor"), Action: q.Get("action"), Target: q.Get("target"), Limit: 100}
	filter := map[string]string{"actor": f.Actor, "action": f.Action, "target": f.Target, "from": q.Get("from"), "to": q.Get("to")}
	m := views.AdminAudit{StaffPage: s.staffPage(c, "Audit log", "admin"), Filter: filter}
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
		m.NextURL = "/admin/audit?" + next.Encode()
	}
	status := http.StatusOK
	if m.Error != "" {
		status = http.StatusUnprocessableEntity
	}
	return s.render(c, status, views.AdminAuditView(m))
}
