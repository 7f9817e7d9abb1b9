package handlers

import (
	"net/http"
	"strconv"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/views"
	"github.com/labstack/echo/v4"
)

// notices are what a report page says after an action succeeded (the
// action redirects with ?done=NAME, so a reload never repeats it).
var notices = map[string]string{
	"reply":  "Your reply was sent to the reporter.",
	"note":   "Your internal note was added.",
	"state":  "The state was changed.",
	"assign": "The assignee was saved.",
	"fields": "The classification was saved.",
	"key":    "The key was saved for the reporter.",
	"mail":   "The mail was accepted as the reporter's.",
}

func (s *Server) triageReportPage(c echo.Context) error {
	return s.renderTriageReport(c, http.StatusOK, reportOf(c), &views.TriageReport{Notice: notices[c.QueryParam("done")]})
}

// renderTriageReport fills the report page around m (which may carry a
// refused form's values and errors) and renders it with status.
func (s *Server) renderTriageReport(c echo.Context, status int, r *db.Report, m *views.TriageReport) error {
	ctx := c.Request().Context()
	u := staffUser(c)
	m.StaffPage = s.staffPage(c, r.Ref(), "queue")
	m.Report, m.CanWrite, m.Limits, m.NowAt = r, u.MayWrite(r.ProgramID), s.cfg.Limits, time.Now().UTC()
	var err error
	if m.Details, err = s.store.Details(ctx, r.ID); err != nil {
		return err
	}
	if m.Timeline, err = s.store.Timeline(ctx, r.ID, false); err != nil {
		return err
	}
	if m.RawMail, err = s.store.RawMailEntries(ctx, r.ID); err != nil {
		return err
	}
	if m.Mails, err = s.store.ReportMails(ctx, r.ID); err != nil {
		return err
	}
	if m.KeyCandidates, err = s.store.KeyCandidates(ctx, r.ID); err != nil {
		return err
	}
	if m.Deadlines, err = s.store.Deadlines(ctx, r.ID); err != nil {
		return err
	}
	if m.Similar, err = s.store.SimilarReports(ctx, r, 5); err != nil {
		return err
	}
	if err := s.reportIncidents(c, r, m); err != nil {
		return err
	}
	if m.CanWrite {
		m.Next = r.State.Next()
		if m.Assignees, err = s.store.Assignees(ctx, r.ProgramID); err != nil {
			return err
		}
	}
	if m.Errors == nil {
		m.Errors = db.FieldErrors{}
	}
	return s.render(c, status, views.TriageReportView(*m))
}

// triageRawMail sends the mail a timeline entry of the report came from, as
// received; an entry of another report is not found.
func (s *Server) triageRawMail(c echo.Context) error {
	entry, err := strconv.ParseInt(c.Param("entry"), 10, 64)
	if err != nil {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	return s.ServeRawMail(c, reportOf(c).ID, entry)
}

// triageAttachment sends an attachment of the report, as a download only;
// one of another report is not found.
func (s *Server) triageAttachment(c echo.Context) error {
	return s.reportAttachment(c, reportOf(c).ID, false)
}
