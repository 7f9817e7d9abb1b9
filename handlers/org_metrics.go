package handlers

import (
	"net/http"
	"strings"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/views"
	"github.com/labstack/echo/v4"
)

// orgMetricsRoutes are the metrics pages: the user's whole scope (with an
// organisation selector) and one organisation's, for its members.
func (s *Server) orgMetricsRoutes() []route {
	return []route{
		{get, "/orgs/:org/metrics", OrgReader, s.orgMetrics, nil},
	}
}

// metricsScope is what a metrics page counts: programs the user sees, of
// the chosen organisations.
type metricsScope struct {
	value, label string
	orgs         map[int64]bool // nil: every organisation
}

// orgScopes are the selector's choices for u: everything u sees, then each
// organisation u belongs to or sees a program of (a parent twice: with its
// children rolled up, and alone).
func orgScopes(u *db.User, orgs []*db.Organisation, programs []*db.Program) []metricsScope {
	seen := map[int64]bool{}
	for _, p := range programs {
		if canSeeProgram(u, p.ID) {
			seen[p.OrgID] = true
		}
	}
	children := map[int64][]int64{}
	for _, o := range orgs {
		if o.ParentID != 0 {
			children[o.ParentID] = append(children[o.ParentID], o.ID)
		}
	}
	out := []metricsScope{{value: "", label: "Everything you can see"}}
	for _, o := range orgs {
		// An organisation is offered to its members and to those who see
		// one of its own programs; a child's people never learn of its parent.
		if !seen[o.ID] && u.OrgRole(o) == "" {
			continue
		}
		family, kids := map[int64]bool{o.ID: true}, false
		for _, id := range children[o.ID] {
			family[id] = true
			kids = kids || seen[id]
		}
		if kids {
			out = append(out, metricsScope{value: o.Slug, label: o.Name + ", with its organisations", orgs: family},
				metricsScope{value: "only:" + o.Slug, label: o.Name + " alone", orgs: map[int64]bool{o.ID: true}})
			continue
		}
		out = append(out, metricsScope{value: o.Slug, label: o.Name, orgs: family})
	}
	return out
}

// scopePrograms are the programs of sc that u sees.
func scopePrograms(u *db.User, sc metricsScope, programs []*db.Program) []*db.Program {
	var out []*db.Program
	for _, p := range programs {
		if canSeeProgram(u, p.ID) && (sc.orgs == nil || sc.orgs[p.OrgID]) {
			out = append(out, p)
		}
	}
	return out
}

// triageMetrics is the metrics of what the user sees, or of one of the
// organisations the selector offers; an organisation it does not offer is
// 404, as for one that does not exist.
func (s *Server) triageMetrics(c echo.Context) error {
	ctx := c.Request().Context()
	u := staffUser(c)
	orgs, err := s.store.Orgs(ctx)
	if err != nil {
		return err
	}
	programs, err := s.store.Programs(ctx)
	if err != nil {
		return err
	}
	scopes := orgScopes(u, orgs, programs)
	m := views.TriageMetrics{StaffPage: s.staffPage(c, "Metrics", "queue"), Action: "/triage/metrics", Back: "/triage",
		BackLabel: "Queue", Heading: "Metrics", Scope: c.QueryParam("org")}
	var chosen *metricsScope
	for i := range scopes {
		m.Scopes = append(m.Scopes, views.MetricsScope{Value: scopes[i].value, Label: scopes[i].label})
		if scopes[i].value == m.Scope {
			chosen = &scopes[i]
		}
	}
	if chosen == nil {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	m.ScopeLabel = chosen.label
	return s.renderMetrics(c, m, scopePrograms(u, *chosen, programs))
}

// orgMetrics is one organisation's metrics (a parent's with its children).
func (s *Server) orgMetrics(c echo.Context) error {
	ctx := c.Request().Context()
	u, o := staffUser(c), orgOf(c)
	orgs, err := s.store.Orgs(ctx)
	if err != nil {
		return err
	}
	programs, err := s.store.Programs(ctx)
	if err != nil {
		return err
	}
	sc := metricsScope{label: o.Name, orgs: map[int64]bool{o.ID: true}}
	for _, x := range orgs {
		if x.ParentID == o.ID {
			sc.orgs[x.ID] = true
			sc.label = o.Name + ", with its organisations"
		}
	}
	m := views.TriageMetrics{StaffPage: s.staffPage(c, "Metrics of "+o.Name, "queue"), Action: "/orgs/" + o.Slug + "/metrics",
		Back: "/triage", BackLabel: "Queue", Heading: "Metrics of " + o.Name, ScopeLabel: sc.label}
	if u.Manages(o) {
		m.Back, m.BackLabel = "/orgs/"+o.Slug, o.Name
	}
	return s.renderMetrics(c, m, scopePrograms(u, sc, programs))
}

// renderMetrics reads the period (months; the last 12 unless chosen) and
// draws the page.
func (s *Server) renderMetrics(c echo.Context, m views.TriageMetrics, programs []*db.Program) error {
	thisMonth := db.MonthStart(s.store.Now())
	m.Errors = db.FieldErrors{}
	m.From, m.To = c.QueryParam("from"), c.QueryParam("to")
	if m.From == "" {
		m.From = thisMonth.AddDate(0, -11, 0).Format("2006-01")
	}
	if m.To == "" {
		m.To = thisMonth.Format("2006-01")
	}
	from, ok := parseMonth(m.From)
	if !ok {
		m.Errors["from"] = "Give a month as YYYY-MM."
	}
	to, ok := parseMonth(m.To)
	if !ok {
		m.Errors["to"] = "Give a month as YYYY-MM."
	}
	if len(m.Errors) == 0 {
		var err error
		m.Metrics, err = s.store.Metrics(c.Request().Context(), programs, from, to)
		if fe := db.ErrorCode(err); fe == db.EINVALID {
			m.Errors["to"] = db.ErrorMessage(err)
		} else if err != nil {
			return err
		}
	}
	if len(m.Errors) > 0 {
		m.Metrics = nil
		return s.render(c, http.StatusUnprocessableEntity, views.TriageMetricsView(m))
	}
	return s.render(c, http.StatusOK, views.TriageMetricsView(m))
}

// parseMonth reads YYYY-MM (or a date, YYYY-MM-DD, of older links).
func parseMonth(v string) (time.Time, bool) {
	for _, layout := range []string{"2006-01", "2006-01-02"} {
		if t, err := time.Parse(layout, strings.TrimSpace(v)); err == nil && t.Year() >= 1970 && t.Year() < 10000 {
			return db.MonthStart(t), true
		}
	}
	return time.Time{}, false
}
