package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/handlers"
)

// The incident routes in the authorization matrix: the fixtures of :inc
// (a fresh incident of the client organisation per case, since writes
// change it) and of an obligation's :id, with the obligations of another
// incident of the same organisation and of another organisation as the
// others; the rules as the matrix derives them; what each route answers.

// matrixIncidents are the incident of each case and, per fixture, the
// incidents whose obligations the "other" cases name.
var (
	matrixIncidents = map[*matrixCase]*db.Incident{}
	otherIncidents  = map[*matrixFixture][2]*db.Incident{}
)

// incident is the case's own incident, made on first use.
func (c *matrixCase) incident() *db.Incident {
	if i := matrixIncidents[c]; i != nil {
		return i
	}
	i, err := c.f.env.DB.CreateIncident(context.Background(), &db.NewIncident{OrgID: c.f.client.ID, Title: "Matrix incident",
		Severity: "high", Presets: []string{"gdpr"}}, db.ActorSystem)
	if err != nil {
		c.t.Fatal(err)
	}
	matrixIncidents[c] = i
	return i
}

// obligation is the first obligation of the case's incident.
func (c *matrixCase) obligation() int64 {
	return firstObligation(c.t, c.f, c.incident().ID)
}

func firstObligation(t testing.TB, f *matrixFixture, id int64) int64 {
	t.Helper()
	obs, err := f.env.DB.Obligations(context.Background(), id)
	if err != nil || len(obs) == 0 {
		t.Fatalf("obligations of incident %d: %v", id, err)
	}
	return obs[0].ID
}

// others are an incident of the client (same organisation) and one of the
// sibling organisation, each with a pending obligation.
func (f *matrixFixture) otherIncidents(t testing.TB) [2]*db.Incident {
	if o, ok := otherIncidents[f]; ok {
		return o
	}
	var out [2]*db.Incident
	for k, org := range []int64{f.client.ID, f.siblingOrg.ID} {
		i, err := f.env.DB.CreateIncident(context.Background(), &db.NewIncident{OrgID: org, Title: fmt.Sprintf("Other incident %d", k),
			Severity: "low", Presets: []string{"cert-in"}}, db.ActorSystem)
		if err != nil {
			t.Fatal(err)
		}
		out[k] = i
	}
	otherIncidents[f] = out
	return out
}

// incidentParams are the fixtures of the incident routes' parameters.
func (f *matrixFixture) incidentParams() map[string]param {
	inc := func(c *matrixCase) string { return c.incident().Ref() }
	return map[string]param{
		"/incidents/*":    {value: fixed("no-such-page")},
		"/incidents/:inc": {value: inc},
		"/incidents/:inc/obligations/:id": {value: func(c *matrixCase) string { return itoa(c.obligation()) }, others: []other{
			{"an obligation of another incident, same organisation", func(c *matrixCase) string {
				return itoa(firstObligation(c.t, f, f.otherIncidents(c.t)[0].ID))
			}},
			{"an obligation of another organisation's incident", func(c *matrixCase) string {
				return itoa(firstObligation(c.t, f, f.otherIncidents(c.t)[1].ID))
			}}}},
	}
}

func init() {
	for k, v := range map[string]answer{
		"GET /triage/reports/:ref/escalate":     {303, "/orgs/client/incidents/new?report="},
		"POST /orgs/:org/incidents":             {422, ""}, // no title
		"POST /orgs/:org/incident-presets":      {303, "/orgs/client/incident-presets?done=saved"},
		"POST /orgs/:org/incident-presets/zone": {303, "/orgs/client/incident-presets?done=saved"},
		"POST /incidents/:inc":                  {303, "/incidents/INC-"},
		"POST /incidents/:inc/status":           {303, "/incidents/INC-"},
		"POST /incidents/:inc/awareness":        {303, "/incidents/INC-"},
		"POST /incidents/:inc/corrective":       {303, "/incidents/INC-"},
		"POST /incidents/:inc/reports":          {303, "/incidents/INC-"},
		"POST /incidents/:inc/obligations":      {303, "/incidents/INC-"},
		"POST /incidents/:inc/obligations/:id":  {303, "/incidents/INC-"},
		"POST /incidents/:inc/evidence":         {200, ""},
	} {
		answers[k] = v
	}
}

// incidentForm fills the body of an incident route's request: its fields
// and the version of the case's incident.
func incidentForm(c *matrixCase, key string, form url.Values) {
	fields := map[string]url.Values{
		"POST /orgs/:org/incident-presets": {"preset": {"contractual"}, "stage": {"customers"}, "regime": {"Contract"}, "title": {"Tell customers"},
			"recipient": {"Customers"}, "due_amount": {"8"}, "due_unit": {"hours"}, "anchor": {"awareness"}, "content": {"What happened"}, "source": {"MSA"}},
		"POST /orgs/:org/incident-presets/zone": {"time_zone": {"Asia/Kolkata"}},
		"POST /incidents/:inc":                  {"title": {"Matrix incident " + c.s.name}, "severity": {"critical"}, "personal_data": {"yes"}},
		"POST /incidents/:inc/status":           {"to": {"contained"}},
		"POST /incidents/:inc/awareness":        {"aware_at": {time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)}, "aware_source": {"matrix"}},
		"POST /incidents/:inc/reports":          {"report": {c.f.sibling.r.Ref()}},
		"POST /incidents/:inc/obligations":      {"preset": {"cert-in"}},
		"POST /incidents/:inc/obligations/:id":  {"state": {"not_required"}, "reason": {"matrix"}},
	}[key]
	for k, v := range fields {
		form[k] = v
	}
	if i := matrixIncidents[c]; i != nil {
		form.Set("version", itoa(i.Version))
	}
}

// deriveIncident is the incident rules as the matrix reads them
// (incident_access.go says the same in words): the client organisation's
// members and its parent's, and site admins, reach its incidents; the
// sibling's members and program-only members get 404; viewers 403 on writes.
func deriveIncident(rule handlers.Access, method string, s *subject) (outcome, bool) {
	var write bool
	switch rule {
	case handlers.OrgReader, handlers.IncidentReader:
	case handlers.OrgWriter, handlers.IncidentWriter:
		write = true
	default:
		return outcome{}, false
	}
	get := method == http.MethodGet
	switch {
	case !s.staff() && get:
		return outcome{status: http.StatusSeeOther, location: "/login?next="}, true
	case !s.staff():
		return outcome{status: http.StatusUnauthorized}, true
	case s.enrolling && get:
		return outcome{status: http.StatusSeeOther, location: "/account/2fa"}, true
	case s.enrolling:
		return outcome{status: http.StatusForbidden}, true
	case !(s.siteAdmin() || s.org == "parent" || s.org == "child"):
		return outcome{status: http.StatusNotFound}, true
	case write && !s.writes():
		return outcome{status: http.StatusForbidden}, true
	}
	return outcome{allowed: true}, true
}

// checkIncidentsUnchanged: no request through another incident's
// obligation id changed it.
func checkIncidentsUnchanged(t *testing.T, f *matrixFixture) {
	for _, i := range f.otherIncidents(t) {
		obs, err := f.env.DB.Obligations(context.Background(), i.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range obs {
			if o.State != "pending" {
				t.Errorf("%s %s/%s became %s through another incident's URL", i.Ref(), o.Preset.Preset, o.Stage, o.State)
			}
		}
	}
}
