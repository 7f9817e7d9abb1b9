package handlers

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/views"
	"github.com/disclose/disclose/views/wording"
	"github.com/labstack/echo/v4"
)

// triageAction runs one action on the report of the request (ReportWriter
// checked it): the form's version, then do. Success redirects to
// the report page (so a reload never repeats the action); a refused field
// re-renders the page with 422 and what was typed; a stale form re-renders
// with 409, the current report and what was typed, so nothing is lost.
func (s *Server) triageAction(name string, fields []string, do func(c echo.Context, r *db.Report, version int64) error) echo.HandlerFunc {
	return func(c echo.Context) error {
		r, req := reportOf(c), c.Request()
		values := map[string]string{}
		for _, f := range fields {
			values[f] = req.PostFormValue(f)
		}
		version, verr := strconv.ParseInt(req.PostFormValue("version"), 10, 64)
		if verr != nil {
			return echo.NewHTTPError(http.StatusBadRequest, "The form is missing its version; reload the page.")
		}
		err := do(c, r, version)
		switch {
		case err == nil:
			s.log.Info("report action", "action", name, "user_id", staffUser(c).ID)
			return c.Redirect(http.StatusSeeOther, "/triage/reports/"+url.PathEscape(r.Ref())+"?done="+name)
		case db.ErrorFields(err) != nil:
			return s.renderTriageReport(c, errorStatus(err), r, &views.TriageReport{Form: name, Values: values, Errors: db.ErrorFields(err)})
		case db.ErrorCode(err) == db.ECONFLICT:
			fresh, ferr := s.store.ReportByRef(req.Context(), r.Ref())
			if ferr != nil {
				return ferr
			}
			return s.renderTriageReport(c, errorStatus(err), fresh, &views.TriageReport{Form: name, Values: values,
				Conflict: wording.Say(db.ErrorMessage(err)) + " What you typed is kept in the form below."})
		}
		return err
	}
}

func (s *Server) triageReply(c echo.Context) error {
	return s.triageAction("reply", []string{"body"}, func(c echo.Context, r *db.Report, version int64) error {
		files, why := s.uploadedFiles(c)
		if why != "" {
			return db.Invalid(db.FieldErrors{"attachments": why})
		}
		return s.store.Reply(c.Request().Context(), r.ID, version, actor(c), c.Request().PostFormValue("body"), files, s.cfg.Limits)
	})(c)
}

func (s *Server) triageNote(c echo.Context) error {
	return s.triageAction("note", []string{"body"}, func(c echo.Context, r *db.Report, version int64) error {
		files, why := s.uploadedFiles(c)
		if why != "" {
			return db.Invalid(db.FieldErrors{"attachments": why})
		}
		return s.store.AddNote(c.Request().Context(), r.ID, version, actor(c), c.Request().PostFormValue("body"), files, s.cfg.Limits)
	})(c)
}

func (s *Server) triageState(c echo.Context) error {
	return s.triageAction("state", []string{"to", "reason", "duplicate_of"}, func(c echo.Context, r *db.Report, version int64) error {
		req := c.Request()
		return s.store.ChangeState(req.Context(), r.ID, version, actor(c), db.StateChange{
			To: db.State(req.PostFormValue("to")), Reason: req.PostFormValue("reason"), DuplicateOf: req.PostFormValue("duplicate_of")})
	})(c)
}

func (s *Server) triageAssign(c echo.Context) error {
	return s.triageAction("assign", []string{"assignee"}, func(c echo.Context, r *db.Report, version int64) error {
		var id int64
		if v := c.Request().PostFormValue("assignee"); v != "" {
			var err error
			if id, err = strconv.ParseInt(v, 10, 64); err != nil || id <= 0 {
				return db.Invalid(db.FieldErrors{"assignee": "Choose an assignee from the list."})
			}
		}
		return s.store.Assign(c.Request().Context(), r.ID, version, actor(c), id)
	})(c)
}

var classificationFields = []string{"asset", "cwe", "cvss", "cve", "disclosure_date", "disclosure_time", "disclosure_zone", "credit"}

func (s *Server) triageFields(c echo.Context) error {
	return s.triageAction("fields", classificationFields, func(c echo.Context, r *db.Report, version int64) error {
		req := c.Request()
		return s.store.EditFields(req.Context(), r.ID, version, actor(c), db.FieldEdit{
			Asset: req.PostFormValue("asset"), CWE: req.PostFormValue("cwe"), CVSSVector: req.PostFormValue("cvss"),
			CVEID: req.PostFormValue("cve"), DisclosureDate: req.PostFormValue("disclosure_date"),
			DisclosureTime: req.PostFormValue("disclosure_time"), DisclosureZone: req.PostFormValue("disclosure_zone"),
			Credit: req.PostFormValue("credit")})
	})(c)
}
