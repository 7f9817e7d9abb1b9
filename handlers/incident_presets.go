package handlers

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/views"
	"github.com/labstack/echo/v4"
)

// incidentPresets shows an organisation's notification presets and clock
// time zone; its admins (OrgAdmin rule of the POST routes) edit them.
func (s *Server) incidentPresets(c echo.Context) error {
	m, err := s.presetsModel(c)
	if err != nil {
		return err
	}
	if c.QueryParam("done") == "saved" {
		m.Notice = "Saved. New obligations use it; running clocks keep the preset they were opened with."
	}
	return s.render(c, http.StatusOK, views.IncidentPresetsView(*m))
}

func (s *Server) presetsModel(c echo.Context) (*views.IncidentPresets, error) {
	ctx, o := c.Request().Context(), orgOf(c)
	presets, err := s.store.Presets(ctx, o.ID)
	if err != nil {
		return nil, err
	}
	zone, err := s.store.IncidentTimeZone(ctx, o.ID)
	if err != nil {
		return nil, err
	}
	m := &views.IncidentPresets{StaffPage: s.staffPage(c, "Notification presets", "incidents"), Org: o, Presets: presets, Zone: zone,
		CanEdit: staffUser(c).Manages(o), Values: map[string]string{}, Errors: db.FieldErrors{}}
	for _, p := range presets {
		if p.Preset == "contractual" && p.Stage == "customers" {
			m.Contract = p
		}
	}
	return m, nil
}

// saveIncidentPreset stores the organisation's own row of a preset stage.
// The form edits the contractual clock, or any stage by name.
func (s *Server) saveIncidentPreset(c echo.Context) error {
	req, o := c.Request(), orgOf(c)
	amount, err := strconv.Atoi(strings.TrimSpace(req.PostFormValue("due_amount")))
	p := &db.Preset{Preset: strings.TrimSpace(req.PostFormValue("preset")), Stage: strings.TrimSpace(req.PostFormValue("stage")),
		Regime: strings.TrimSpace(req.PostFormValue("regime")), Title: strings.TrimSpace(req.PostFormValue("title")),
		Recipient: strings.TrimSpace(req.PostFormValue("recipient")), DueAmount: amount, DueUnit: req.PostFormValue("due_unit"),
		Anchor: strings.TrimSpace(req.PostFormValue("anchor")), Content: strings.TrimSpace(req.PostFormValue("content")),
		Source: strings.TrimSpace(req.PostFormValue("source"))}
	if p.Preset == "contractual" && p.Position == 0 {
		p.Position = 70
	}
	if err != nil {
		err = db.Invalid(db.FieldErrors{"due_amount": "Give a whole number: 0 for without undue delay."})
	} else {
		err = s.store.SavePreset(req.Context(), o.ID, p, actor(c))
	}
	if err == nil {
		return c.Redirect(http.StatusSeeOther, "/orgs/"+o.Slug+"/incident-presets?done=saved")
	}
	return s.presetsRefused(c, err, []string{"preset", "stage", "regime", "title", "recipient", "due_amount", "due_unit", "anchor", "content", "source"})
}

func (s *Server) presetsRefused(c echo.Context, err error, fields []string) error {
	fe := db.ErrorFields(err)
	if fe == nil {
		return err
	}
	m, merr := s.presetsModel(c)
	if merr != nil {
		return merr
	}
	for _, k := range fields {
		m.Values[k] = c.Request().PostFormValue(k)
	}
	m.Errors = fe
	return s.render(c, errorStatus(err), views.IncidentPresetsView(*m))
}

// saveIncidentZone sets the organisation's time zone for clocks.
func (s *Server) saveIncidentZone(c echo.Context) error {
	o := orgOf(c)
	err := s.store.SetIncidentTimeZone(c.Request().Context(), o.ID, strings.TrimSpace(c.Request().PostFormValue("time_zone")), actor(c))
	if err == nil {
		return c.Redirect(http.StatusSeeOther, "/orgs/"+o.Slug+"/incident-presets?done=saved")
	}
	return s.presetsRefused(c, err, []string{"time_zone"})
}
