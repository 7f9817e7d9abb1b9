package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/views"
	"github.com/labstack/echo/v4"
)

// incidentNotices are what the incident page says after an action.
var incidentNotices = map[string]string{
	"opened":      "The incident was opened. Its reports are on legal hold.",
	"fields":      "The incident was saved.",
	"status":      "The status was changed.",
	"awareness":   "Awareness was recorded; the clocks run from it.",
	"corrective":  "The corrective measure was saved.",
	"reports":     "The report was linked and is on legal hold.",
	"obligations": "The notification obligations were added.",
	"obligation":  "The notification's state was saved.",
}

// incidentList lists the incidents of the organisations the user has a
// role in (and their children): every one for a site admin.
func (s *Server) incidentList(c echo.Context) error {
	ctx := c.Request().Context()
	u := staffUser(c)
	orgs, err := s.store.Orgs(ctx)
	if err != nil {
		return err
	}
	m := views.IncidentList{StaffPage: s.staffPage(c, "Incidents", "incidents"), Now: s.store.Now().UTC()}
	var ids []int64
	for _, o := range orgs {
		role := u.OrgRole(o)
		if role == "" {
			continue
		}
		ids = append(ids, o.ID)
		if orgRoleWrites(role) {
			m.Orgs = append(m.Orgs, o)
		}
	}
	rows, err := s.store.IncidentsIn(ctx, ids, false)
	if err != nil {
		return err
	}
	m.Clock = c.QueryParam("clock")
	for _, r := range rows {
		if state, _ := views.RowClock(r, m.Now); m.Clock == "" || state == m.Clock || (m.Clock == "due" && (state == "soon" || state == "overdue")) {
			m.Rows = append(m.Rows, r)
		}
	}
	return s.render(c, http.StatusOK, views.IncidentListView(m))
}

// escalateReport sends a triager from a report to the form that opens an
// incident with it, in the organisation of the report's program.
func (s *Server) escalateReport(c echo.Context) error {
	r := reportOf(c)
	p, err := s.store.ProgramByID(c.Request().Context(), r.ProgramID)
	if err != nil {
		return err
	}
	o, err := s.store.OrgByID(c.Request().Context(), p.OrgID)
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/orgs/"+url.PathEscape(o.Slug)+"/incidents/new?report="+url.QueryEscape(r.Ref()))
}

// reportIncidents fills the report page's part about incidents: the
// incidents the report is evidence of, and whether the user may escalate
// it (a writer of the report's organisation: incidents are the
// organisation's, so a member of the program only may not).
func (s *Server) reportIncidents(c echo.Context, r *db.Report, m *views.TriageReport) error {
	ctx := c.Request().Context()
	var err error
	if m.Incidents, err = s.store.ReportIncidents(ctx, r.ID); err != nil {
		return err
	}
	p, err := s.store.ProgramByID(ctx, r.ProgramID)
	if err != nil {
		return err
	}
	o, err := s.store.OrgByID(ctx, p.OrgID)
	if err != nil {
		return err
	}
	m.CanEscalate = m.CanWrite && orgRoleWrites(staffUser(c).OrgRole(o))
	return nil
}

// suggestPresets are the presets the reports point to: an exploited report
// the CRA's clock for actively exploited vulnerabilities. Suggestions
// only: awareness and the choice stay the person's.
func suggestPresets(reports []*db.Report, personalData bool) map[string]string {
	out := map[string]string{}
	for _, r := range reports {
		if r.Exploited {
			out["cra-exploited"] = r.Ref() + " is marked exploited"
		}
	}
	if personalData {
		out["gdpr"], out["dpdp"] = "personal data is involved", "personal data is involved"
	}
	return out
}

// maxLinkedAtOnce bounds the references one form may name: each is a
// lookup.
const maxLinkedAtOnce = 50

// visibleReports resolves the references of a form to reports the user
// may see; one that does not exist or is out of sight is a field error,
// worded the same so that references of other programs cannot be probed.
func (s *Server) visibleReports(c echo.Context, refs string) ([]*db.Report, db.FieldErrors) {
	fields := strings.Fields(refs)
	if len(fields) > maxLinkedAtOnce {
		return nil, db.FieldErrors{"report": "Link at most 50 reports at once."}
	}
	var out []*db.Report
	for _, ref := range fields {
		r, err := s.store.ReportByRef(c.Request().Context(), ref)
		if err != nil || !canSeeProgram(staffUser(c), r.ProgramID) {
			return nil, db.FieldErrors{"report": "No report you can see has the reference " + ref + "."}
		}
		out = append(out, r)
	}
	return out, nil
}

func (s *Server) zoneOf(c echo.Context, orgID int64) *time.Location {
	zone, err := s.store.IncidentTimeZone(c.Request().Context(), orgID)
	if err != nil {
		return time.UTC
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// parseLocal reads a datetime-local value (in loc) or an RFC 3339 time.
func parseLocal(v string, loc *time.Location) (time.Time, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, true
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, true
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, v, loc); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func (s *Server) newIncidentForm(c echo.Context) error {
	m, err := s.newIncidentModel(c)
	if err != nil {
		return err
	}
	reports, errs := s.visibleReports(c, c.QueryParam("report"))
	if errs == nil && len(reports) > 0 {
		m.Values["report"] = c.QueryParam("report")
		m.Values["title"] = "Incident: " + reports[0].Title
		m.Suggested = suggestPresets(reports, false)
		for k := range m.Suggested {
			m.Chosen[k] = true
		}
	}
	return s.render(c, http.StatusOK, views.IncidentNewView(*m))
}

func (s *Server) newIncidentModel(c echo.Context) (*views.IncidentNew, error) {
	o := orgOf(c)
	presets, err := s.store.Presets(c.Request().Context(), o.ID)
	if err != nil {
		return nil, err
	}
	return &views.IncidentNew{StaffPage: s.staffPage(c, "New incident", "incidents"), Org: o, Presets: presets,
		Suggested: map[string]string{}, Chosen: map[string]bool{}, Values: map[string]string{"severity": "high"},
		Errors: db.FieldErrors{}, Zone: s.zoneOf(c, o.ID).String()}, nil
}

// createIncident opens an incident in the organisation of the URL with the
// reports of the form; a report of another organisation is refused by db.
func (s *Server) createIncident(c echo.Context) error {
	req, o := c.Request(), orgOf(c)
	in := &db.NewIncident{OrgID: o.ID, Title: req.PostFormValue("title"), Severity: req.PostFormValue("severity"),
		AwareSource: req.PostFormValue("aware_source"), Presets: req.PostForm["preset"]}
	reports, errs := s.visibleReports(c, req.PostFormValue("report"))
	var err error
	if errs != nil {
		err = db.Invalid(errs)
	} else if at, ok := parseLocal(req.PostFormValue("aware_at"), s.zoneOf(c, o.ID)); !ok {
		err = db.Invalid(db.FieldErrors{"aware_at": "Give the date and time as YYYY-MM-DD HH:MM."})
	} else if at.IsZero() && strings.TrimSpace(in.AwareSource) != "" {
		err = db.Invalid(db.FieldErrors{"aware_at": "Give the time of awareness too, or leave both awareness fields empty."})
	} else {
		in.AwareAt = at
		for _, r := range reports {
			in.Reports = append(in.Reports, r.ID)
		}
		var i *db.Incident
		if i, err = s.store.CreateIncident(req.Context(), in, actor(c)); err == nil {
			s.log.Info("incident opened", "incident_id", i.ID, "user_id", staffUser(c).ID)
			return c.Redirect(http.StatusSeeOther, "/incidents/"+i.Ref()+"?done=opened")
		}
	}
	fields := db.ErrorFields(err)
	if fields == nil {
		return err
	}
	m, merr := s.newIncidentModel(c)
	if merr != nil {
		return merr
	}
	for _, k := range []string{"title", "severity", "report", "aware_at", "aware_source"} {
		m.Values[k] = req.PostFormValue(k)
	}
	for _, p := range in.Presets {
		m.Chosen[p] = true
	}
	m.Errors = fields
	return s.render(c, errorStatus(err), views.IncidentNewView(*m))
}
