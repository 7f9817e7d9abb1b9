package handlers

import (
	"net/http"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/views"
	"github.com/labstack/echo/v4"
)

// The incidents of the JSON API: read-only, scoped as the /incidents pages
// are (an organisation's incidents to staff with a role in it or its
// parent) but through the token's rights, whose organisation roles are the
// user's cut to the scope and the organisation limit (db.UserByAPIToken).
// A sealed incident whose key is locked answers the pages' placeholder and
// locked: true, never its plaintext.

type apiIncidentRow struct {
	Ref          string     `json:"ref"`
	Organisation string     `json:"organisation"`
	Title        string     `json:"title"`
	Locked       bool       `json:"locked"`
	Severity     string     `json:"severity"`
	Status       string     `json:"status"`
	AwareAt      *time.Time `json:"aware_at"`
	Reports      int        `json:"reports"`
	Pending      int        `json:"pending"`
	NextDue      *time.Time `json:"next_due"`
	Clock        string     `json:"clock"`
}

// apiIncidentClocks are the values of ?clock=: a row's clock (views.RowClock),
// and due (soon or overdue), as on the /incidents page.
var apiIncidentClocks = map[string]bool{"closed": true, "waiting": true, "asap": true, "none": true, "overdue": true, "soon": true,
	"running": true, "due": true}

// utcTime is t in UTC, nil when zero: the API's times are RFC 3339 in UTC.
func utcTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

// apiIncidents lists the incidents of the organisations the token's rights
// have a role in (and of their children), newest first, each with its next
// deadline; ?clock= filters as the page does.
func (s *Server) apiIncidents(c echo.Context) error {
	q := c.QueryParams()
	errs := db.FieldErrors{}
	for k := range q {
		if k != "clock" {
			errs[k] = "This parameter is not known; see the OpenAPI document."
		}
	}
	clock := q.Get("clock")
	if clock != "" && !apiIncidentClocks[clock] {
		errs["clock"] = "Ask for closed, waiting, asap, none, soon, overdue, running or due."
	}
	if len(errs) > 0 {
		return db.Invalid(errs)
	}
	ctx := c.Request().Context()
	u := staffUser(c)
	orgs, err := s.store.Orgs(ctx)
	if err != nil {
		return err
	}
	var ids []int64
	for _, o := range orgs {
		if u.OrgRole(o) != "" {
			ids = append(ids, o.ID)
		}
	}
	out := struct {
		Incidents []apiIncidentRow `json:"incidents"`
	}{Incidents: []apiIncidentRow{}}
	if len(ids) == 0 {
		return c.JSON(http.StatusOK, out)
	}
	rows, err := s.store.IncidentsIn(ctx, ids, false)
	if err != nil {
		return err
	}
	now := s.store.Now().UTC()
	for _, r := range rows {
		state, _ := views.RowClock(r, now)
		if clock != "" && state != clock && (clock != "due" || (state != "soon" && state != "overdue")) {
			continue
		}
		out.Incidents = append(out.Incidents, apiIncidentRow{Ref: r.Ref(), Organisation: r.OrgSlug, Title: r.Title, Locked: r.Locked,
			Severity: r.Severity, Status: string(r.Status), AwareAt: utcTime(r.AwareAt), Reports: r.Reports, Pending: r.Pending,
			NextDue: utcTime(r.NextDue), Clock: state})
	}
	return c.JSON(http.StatusOK, out)
}

type apiAwareness struct {
	At         time.Time  `json:"at"`
	RecordedBy *string    `json:"recorded_by"`
	Source     string     `json:"source"`
	NotedAt    *time.Time `json:"noted_at"`
}

type apiLinkedReport struct {
	Ref       string `json:"ref"`
	State     string `json:"state"`
	Exploited bool   `json:"exploited"`
	LegalHold bool   `json:"legal_hold"`
}

type apiObligation struct {
	ID        int64      `json:"id"`
	Preset    string     `json:"preset"`
	Stage     string     `json:"stage"`
	Regime    string     `json:"regime"`
	Title     string     `json:"title"`
	Recipient string     `json:"recipient"`
	Due       string     `json:"due"`
	DueAt     *time.Time `json:"due_at"`
	State     string     `json:"state"`
	Overdue   bool       `json:"overdue"`
	SentAt    *time.Time `json:"sent_at"`
	SentTo    *string    `json:"sent_to"`
	Reference *string    `json:"reference"`
	Reason    *string    `json:"reason"`
}

type apiIncident struct {
	Ref              string            `json:"ref"`
	Version          int64             `json:"version"`
	Organisation     string            `json:"organisation"`
	OrganisationName string            `json:"organisation_name"`
	Title            string            `json:"title"`
	Severity         string            `json:"severity"`
	Status           string            `json:"status"`
	Owner            *string           `json:"owner"`
	PersonalData     string            `json:"personal_data"`
	PeopleAffected   *int64            `json:"people_affected"`
	Sealed           bool              `json:"sealed"`
	Locked           bool              `json:"locked"`
	TimeZone         string            `json:"time_zone"`
	Awareness        *apiAwareness     `json:"awareness"`
	CorrectiveAt     *time.Time        `json:"corrective_at"`
	ClosedAt         *time.Time        `json:"closed_at"`
	CreatedAt        time.Time         `json:"created_at"`
	UpdatedAt        time.Time         `json:"updated_at"`
	Reports          []apiLinkedReport `json:"reports"`
	Obligations      []apiObligation   `json:"obligations"`
}

// apiIncident answers the incident of the request (APIIncidentReader):
// its fields, the references of its linked reports (no report text: the
// token may not see those programs), its obligations with deadlines and
// states, and its awareness. A sent copy is not part of it.
func (s *Server) apiIncident(c echo.Context) error {
	ctx := c.Request().Context()
	i := incidentOf(c)
	reports, err := s.store.IncidentReports(ctx, i.ID)
	if err != nil {
		return err
	}
	obligations, err := s.store.Obligations(ctx, i.ID)
	if err != nil {
		return err
	}
	out := apiIncident{Ref: i.Ref(), Version: i.Version, Organisation: i.OrgSlug, OrganisationName: i.OrgName, Title: i.Title,
		Severity: i.Severity, Status: string(i.Status), Owner: optional(i.OwnerName), PersonalData: i.PersonalData, Sealed: i.Sealed,
		Locked: i.Locked, TimeZone: i.TimeZone, CorrectiveAt: utcTime(i.CorrectiveAt), ClosedAt: utcTime(i.ClosedAt),
		CreatedAt: i.CreatedAt.UTC(), UpdatedAt: i.UpdatedAt.UTC(), Reports: []apiLinkedReport{}, Obligations: []apiObligation{}}
	if i.PeopleKnown {
		n := i.PeopleAffected
		out.PeopleAffected = &n
	}
	if !i.AwareAt.IsZero() {
		out.Awareness = &apiAwareness{At: i.AwareAt.UTC(), RecordedBy: optional(i.AwareByName), Source: i.AwareSource, NotedAt: utcTime(i.AwareNotedAt)}
	}
	for _, r := range reports {
		out.Reports = append(out.Reports, apiLinkedReport{Ref: r.Ref, State: string(r.State), Exploited: r.Exploited, LegalHold: r.LegalHold})
	}
	now := s.store.Now()
	for _, o := range obligations {
		out.Obligations = append(out.Obligations, apiObligation{ID: o.ID, Preset: o.Preset.Preset, Stage: o.Stage, Regime: o.Regime,
			Title: o.Title, Recipient: o.Recipient, Due: o.DueText(), DueAt: utcTime(o.DueAt), State: o.State, Overdue: o.Overdue(now),
			SentAt: utcTime(o.SentAt), SentTo: optional(o.SentTo), Reference: optional(o.Reference), Reason: optional(o.Reason)})
	}
	return c.JSON(http.StatusOK, out)
}
