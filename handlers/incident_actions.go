package handlers

import (
	"net/http"
	"strconv"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/views"
	"github.com/disclose/disclose/views/wording"
	"github.com/labstack/echo/v4"
)

func (s *Server) incidentPage(c echo.Context) error {
	return s.renderIncident(c, http.StatusOK, incidentOf(c), &views.IncidentPage{Notice: incidentNotices[c.QueryParam("done")]})
}

// renderIncident fills the incident page around m and renders it.
func (s *Server) renderIncident(c echo.Context, status int, i *db.Incident, m *views.IncidentPage) error {
	ctx := c.Request().Context()
	o := orgOf(c)
	m.StaffPage = s.staffPage(c, i.Ref(), "incidents")
	m.Incident, m.Now, m.Loc = i, s.store.Now().UTC(), s.zoneOf(c, i.OrgID)
	m.CanWrite = orgRoleWrites(staffUser(c).OrgRole(o))
	var err error
	if m.Reports, err = s.store.IncidentReports(ctx, i.ID); err != nil {
		return err
	}
	if m.Timeline, err = s.store.IncidentTimeline(ctx, i.ID); err != nil {
		return err
	}
	if m.Obligations, err = s.store.Obligations(ctx, i.ID); err != nil {
		return err
	}
	presets, err := s.store.Presets(ctx, i.OrgID)
	if err != nil {
		return err
	}
	have := map[string]bool{}
	for _, ob := range m.Obligations {
		have[ob.Preset.Preset] = true
	}
	for _, name := range db.PresetNames(presets) {
		if !have[name] {
			m.PresetNames = append(m.PresetNames, name)
		}
	}
	m.Suggested = map[string]string{}
	for _, r := range m.Reports {
		if r.Exploited && !have["cra-exploited"] {
			m.Suggested["cra-exploited"] = r.Ref + " is marked exploited: the Cyber Resilience Act asks for an early warning within 24 hours"
		}
	}
	if i.PersonalData == "yes" {
		for _, p := range []string{"gdpr", "dpdp"} {
			if !have[p] {
				m.Suggested[p] = "personal data is involved: check the data-protection notifications"
			}
		}
	}
	if m.CanWrite {
		m.Next = db.IncidentMoves(i.Status)
		if m.Owners, err = s.incidentOwners(c, o); err != nil {
			return err
		}
	}
	if m.Errors == nil {
		m.Errors = db.FieldErrors{}
	}
	return s.render(c, status, views.IncidentPageView(*m))
}

// incidentOwners are the admins and triagers of the organisation and of its
// parent: who may own its incidents.
func (s *Server) incidentOwners(c echo.Context, o *db.Organisation) ([]*db.User, error) {
	var out []*db.User
	seen := map[int64]bool{}
	for _, id := range []int64{o.ID, o.ParentID} {
		if id == 0 {
			continue
		}
		ms, err := s.store.OrgMembers(c.Request().Context(), id)
		if err != nil {
			return nil, err
		}
		for _, mem := range ms {
			if orgRoleWrites(mem.Role) && !mem.User.Disabled && !seen[mem.User.ID] {
				seen[mem.User.ID] = true
				out = append(out, mem.User)
			}
		}
	}
	return out, nil
}

// incidentAction runs one action on the incident of the request
// (IncidentWriter checked it), as triageAction does for reports: success
// redirects, a refused field re-renders with 422 and what was typed, a
// stale form with 409 and the current incident.
func (s *Server) incidentAction(name string, fields []string, do func(c echo.Context, i *db.Incident, version int64) error) echo.HandlerFunc {
	return func(c echo.Context) error {
		i, req := incidentOf(c), c.Request()
		values := map[string]string{}
		for _, f := range fields {
			values[f] = req.PostFormValue(f)
		}
		version, verr := strconv.ParseInt(req.PostFormValue("version"), 10, 64)
		if verr != nil {
			return echo.NewHTTPError(http.StatusBadRequest, "The form is missing its version; reload the page.")
		}
		form := name
		if name == "obligation" {
			form = "obligation-" + c.Param("id")
		}
		err := do(c, i, version)
		switch {
		case err == nil:
			s.log.Info("incident action", "action", name, "incident_id", i.ID, "user_id", staffUser(c).ID)
			return c.Redirect(http.StatusSeeOther, "/incidents/"+i.Ref()+"?done="+name)
		case db.ErrorFields(err) != nil:
			return s.renderIncident(c, errorStatus(err), i, &views.IncidentPage{Form: form, Values: values, Errors: db.ErrorFields(err)})
		case db.ErrorCode(err) == db.ECONFLICT || db.ErrorCode(err) == db.EINVALID:
			fresh, ferr := s.store.IncidentByID(req.Context(), i.ID)
			if ferr != nil {
				return ferr
			}
			msg := wording.Say(db.ErrorMessage(err))
			if db.ErrorCode(err) == db.ECONFLICT {
				msg += " What you typed is kept in the form below."
			}
			return s.renderIncident(c, errorStatus(err), fresh, &views.IncidentPage{Form: form, Values: values, Conflict: msg})
		}
		return err
	}
}

var incidentFieldNames = []string{"title", "severity", "owner", "personal_data", "people", "scope", "systems", "data_categories",
	"containment", "recovery", "evidence", "root_cause", "remediation", "lessons"}

func (s *Server) editIncident(c echo.Context) error {
	return s.incidentAction("fields", incidentFieldNames, func(c echo.Context, i *db.Incident, version int64) error {
		req := c.Request()
		var owner int64
		if v := req.PostFormValue("owner"); v != "" {
			var err error
			if owner, err = strconv.ParseInt(v, 10, 64); err != nil || owner <= 0 {
				return db.Invalid(db.FieldErrors{"owner": "Choose an owner from the list."})
			}
		}
		return s.store.EditIncident(req.Context(), i.ID, version, actor(c), db.IncidentEdit{
			Title: req.PostFormValue("title"), Severity: req.PostFormValue("severity"), OwnerID: owner,
			PersonalData: req.PostFormValue("personal_data"), People: req.PostFormValue("people"),
			Checklist: db.Checklist{Scope: req.PostFormValue("scope"), Systems: req.PostFormValue("systems"),
				DataCategories: req.PostFormValue("data_categories"), Containment: req.PostFormValue("containment"),
				Recovery: req.PostFormValue("recovery"), Evidence: req.PostFormValue("evidence"), RootCause: req.PostFormValue("root_cause"),
				Remediation: req.PostFormValue("remediation"), Lessons: req.PostFormValue("lessons")}})
	})(c)
}

func (s *Server) incidentStatus(c echo.Context) error {
	return s.incidentAction("status", []string{"to"}, func(c echo.Context, i *db.Incident, version int64) error {
		return s.store.SetIncidentStatus(c.Request().Context(), i.ID, version, db.IncidentStatus(c.Request().PostFormValue("to")), actor(c))
	})(c)
}

func (s *Server) incidentAwareness(c echo.Context) error {
	return s.incidentAction("awareness", []string{"aware_at", "aware_source"}, func(c echo.Context, i *db.Incident, version int64) error {
		at, ok := parseLocal(c.Request().PostFormValue("aware_at"), s.zoneOf(c, i.OrgID))
		if !ok {
			return db.Invalid(db.FieldErrors{"aware_at": "Give the date and time as YYYY-MM-DD HH:MM."})
		}
		return s.store.RecordAwareness(c.Request().Context(), i.ID, version, at, c.Request().PostFormValue("aware_source"), actor(c))
	})(c)
}

func (s *Server) incidentCorrective(c echo.Context) error {
	return s.incidentAction("corrective", []string{"corrective_at"}, func(c echo.Context, i *db.Incident, version int64) error {
		at, ok := parseLocal(c.Request().PostFormValue("corrective_at"), s.zoneOf(c, i.OrgID))
		if !ok {
			return db.Invalid(db.FieldErrors{"corrective_at": "Give the date and time as YYYY-MM-DD HH:MM."})
		}
		return s.store.SetCorrectiveMeasure(c.Request().Context(), i.ID, version, at, actor(c))
	})(c)
}

func (s *Server) incidentLinkReport(c echo.Context) error {
	return s.incidentAction("reports", []string{"report"}, func(c echo.Context, i *db.Incident, version int64) error {
		reports, errs := s.visibleReports(c, c.Request().PostFormValue("report"))
		if errs != nil {
			return db.Invalid(errs)
		}
		if len(reports) != 1 {
			return db.Invalid(db.FieldErrors{"report": "Give one report's reference, like SHOP-12."})
		}
		return s.store.LinkReport(c.Request().Context(), i.ID, version, reports[0].ID, actor(c))
	})(c)
}

func (s *Server) incidentAddObligations(c echo.Context) error {
	return s.incidentAction("obligations", nil, func(c echo.Context, i *db.Incident, version int64) error {
		names := c.Request().PostForm["preset"]
		if len(names) == 0 {
			return db.Invalid(db.FieldErrors{"preset": "Tick at least one preset."})
		}
		return s.store.AddObligations(c.Request().Context(), i.ID, version, names, actor(c))
	})(c)
}

// incidentObligation records an obligation's state; its :id is looked up
// under the incident only (db.SetObligation), so another incident's
// obligation is 404.
func (s *Server) incidentObligation(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	return s.incidentAction("obligation", []string{"state", "sent_at", "sent_to", "reference", "sent_copy", "reason"}, func(c echo.Context, i *db.Incident, version int64) error {
		req := c.Request()
		at, ok := parseLocal(req.PostFormValue("sent_at"), s.zoneOf(c, i.OrgID))
		if !ok {
			return db.Invalid(db.FieldErrors{"sent_at": "Give the date and time as YYYY-MM-DD HH:MM."})
		}
		return s.store.SetObligation(req.Context(), i.ID, version, id, db.ObligationUpdate{State: req.PostFormValue("state"), SentAt: at,
			SentTo: req.PostFormValue("sent_to"), Reference: req.PostFormValue("reference"), SentCopy: req.PostFormValue("sent_copy"),
			Reason: req.PostFormValue("reason")}, actor(c))
	})(c)
}
