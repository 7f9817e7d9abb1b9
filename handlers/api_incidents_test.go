package handlers_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
)

// apiOrgEnv is newIncidentEnv's client organisation (a triager, a viewer,
// the Shop program's reports) with an incident and advisories there, and
// a sibling organisation "beta" with its own incident, advisory and member.
type apiOrgEnv struct {
	*incidentEnv
	inc, betaInc        *db.Incident
	draft, published    *db.Advisory
	betaAdv             *db.Advisory
	tri, view, betaUser *db.User
}

func newAPIOrgEnv(t *testing.T, sealed ...bool) *apiOrgEnv {
	t.Helper()
	ctx := context.Background()
	e := &apiOrgEnv{incidentEnv: newIncidentEnv(t, sealed...)}
	d := e.env.DB
	beta, err := d.CreateOrg(ctx, &db.NewOrg{Slug: "beta", Name: "Beta", ParentSlug: "default"}, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	pr := db.NewProgramDefaults()
	pr.Name, pr.Slug, pr.Prefix, pr.Email, pr.OrgID = "Beta", "beta", "BETA", "security@beta.example", beta.ID
	betaProgram, err := d.SaveProgram(ctx, pr, nil, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := d.CreateReport(ctx, &db.NewReport{ProgramID: betaProgram.ID, Source: db.SourceWeb, Title: "Beta's report",
		Description: "Beta's.", Reporter: db.Reporter{Credit: db.CreditAnonymous}})
	if err != nil {
		t.Fatal(err)
	}
	betaReport, err := d.ReportByID(ctx, rc.ReportID)
	if err != nil {
		t.Fatal(err)
	}
	if e.tri, err = d.UserByEmail(ctx, "tri@client.example"); err != nil {
		t.Fatal(err)
	}
	if e.view, err = d.UserByEmail(ctx, "view@client.example"); err != nil {
		t.Fatal(err)
	}
	e.betaUser = e.env.mustUser(t, "bea@beta.example", db.RoleViewer)
	if err := d.SetOrgMember(ctx, beta.ID, e.betaUser.ID, db.RoleTriager, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	e.inc, err = d.CreateIncident(ctx, &db.NewIncident{OrgID: e.client.ID, Title: "Checkout data exposed", Severity: "high",
		Reports: []int64{e.exploited.ID}, AwareAt: e.env.DB.Now().Add(-2 * time.Hour), AwareSource: "the report", Presets: []string{"gdpr"}},
		e.tri.Actor(""))
	if err != nil {
		t.Fatal(err)
	}
	if e.betaInc, err = d.CreateIncident(ctx, &db.NewIncident{OrgID: beta.ID, Title: "Beta's incident", Severity: "low"}, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	e.draft = makeAdvisory(t, d, e.client, e.mailed, nil)
	e.published = makeAdvisory(t, d, e.client, e.exploited, e.tri)
	e.betaAdv = makeAdvisory(t, d, beta, betaReport, nil)
	return e
}

func (e *apiOrgEnv) token(t testing.TB, u *db.User, scope db.APIScope, org string) string {
	t.Helper()
	_, secret, err := e.env.DB.CreateAPIToken(context.Background(), u.ID, db.NewAPIToken{Name: "script", Scope: scope, OrgSlug: org}, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

type apiIncidentList struct {
	Incidents []struct {
		Ref, Organisation, Title, Clock string
		NextDue                         *string `json:"next_due"`
	}
}

func (l apiIncidentList) refs() string {
	var out []string
	for _, i := range l.Incidents {
		out = append(out, i.Ref)
	}
	return strings.Join(out, " ")
}

type apiAdvisoryList struct {
	Advisories []struct{ ID, State, Organisation string }
}

func (l apiAdvisoryList) ids() string {
	var out []string
	for _, a := range l.Advisories {
		out = append(out, a.ID+"/"+a.State)
	}
	return strings.Join(out, " ")
}

// listIncidents and listAdvisories list through api (the answer must be 200).
func listIncidents(t *testing.T, api *apiClient, query string) apiIncidentList {
	t.Helper()
	a := api.get("/api/v1/incidents" + query)
	if a.Status != http.StatusOK {
		t.Fatalf("list incidents: %d %s", a.Status, a.Body)
	}
	var l apiIncidentList
	a.decode(t, &l)
	return l
}

func listAdvisories(t *testing.T, api *apiClient) apiAdvisoryList {
	t.Helper()
	a := api.get("/api/v1/advisories")
	if a.Status != http.StatusOK {
		t.Fatalf("list advisories: %d %s", a.Status, a.Body)
	}
	var l apiAdvisoryList
	a.decode(t, &l)
	return l
}

func TestAPIIncidentsOfTheOrganisation(t *testing.T) {
	e := newAPIOrgEnv(t)
	for _, tc := range []struct {
		name  string
		token string
	}{
		{"triager, read token", e.token(t, e.tri, db.ScopeRead, "")},
		{"triager, write token limited to the client", e.token(t, e.tri, db.ScopeWrite, "client")},
		{"viewer", e.token(t, e.view, db.ScopeRead, "")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			api := e.env.api(t, tc.token)
			l := listIncidents(t, api, "")
			if got := l.refs(); got != e.inc.Ref() {
				t.Fatalf("incidents %q, want only %s (not beta's %s)", got, e.inc.Ref(), e.betaInc.Ref())
			}
			if r := l.Incidents[0]; r.Organisation != "client" || r.Title != "Checkout data exposed" || r.NextDue == nil || !strings.HasSuffix(*r.NextDue, "Z") {
				t.Errorf("row %+v", r)
			}
			a := api.get("/api/v1/incidents/" + e.inc.Ref())
			if a.Status != http.StatusOK {
				t.Fatalf("get: %d %s", a.Status, a.Body)
			}
			var inc struct {
				Ref, Organisation, Title string
				Locked                   bool
				Awareness                *struct{ At time.Time }
				Reports                  []struct{ Ref string }
				Obligations              []struct {
					Preset, State string
					DueAt         *string `json:"due_at"`
				}
			}
			a.decode(t, &inc)
			if inc.Ref != e.inc.Ref() || inc.Locked || inc.Awareness == nil || len(inc.Reports) != 1 || inc.Reports[0].Ref != e.exploited.Ref() {
				t.Errorf("incident %+v", inc)
			}
			if len(inc.Obligations) == 0 || inc.Obligations[0].Preset != "gdpr" || inc.Obligations[0].State != "pending" ||
				inc.Obligations[0].DueAt == nil || !strings.HasSuffix(*inc.Obligations[0].DueAt, "Z") {
				t.Errorf("obligations %+v", inc.Obligations)
			}
			if p := api.get("/api/v1/incidents/" + e.betaInc.Ref()); p.Status != http.StatusNotFound || p.problem(t)["status"] != float64(404) {
				t.Errorf("another organisation's incident: %d, want the 404 problem", p.Status)
			}
			if p := api.get("/api/v1/incidents/INC-1000000001"); p.Status != http.StatusNotFound {
				t.Errorf("a missing incident: %d", p.Status)
			}
		})
	}
	api := e.env.api(t, e.token(t, e.tri, db.ScopeRead, ""))
	if l := listIncidents(t, api, "?clock=due"); len(l.Incidents) != 0 {
		t.Errorf("clock=due lists %q: the GDPR clock has 70 hours left", l.refs())
	}
	if l := listIncidents(t, api, "?clock=running"); l.refs() != e.inc.Ref() {
		t.Errorf("clock=running lists %q", l.refs())
	}
	if a := api.get("/api/v1/incidents?clock=soonish"); a.Status != http.StatusUnprocessableEntity {
		t.Errorf("an unknown clock: %d, want 422", a.Status)
	}
}

func TestAPIIncidentsOfAnotherOrganisation(t *testing.T) {
	e := newAPIOrgEnv(t)
	beta := e.env.api(t, e.token(t, e.betaUser, db.ScopeRead, "beta"))
	if got := listIncidents(t, beta, "").refs(); got != e.betaInc.Ref() {
		t.Errorf("beta's token lists %q, want only %s", got, e.betaInc.Ref())
	}
	if a := beta.get("/api/v1/incidents/" + e.inc.Ref()); a.Status != http.StatusNotFound {
		t.Errorf("beta's token reads the client's incident: %d", a.Status)
	}
	if got := listAdvisories(t, beta).ids(); got != e.betaAdv.Ident+"/in_review" {
		t.Errorf("beta's token lists advisories %q", got)
	}
	if a := beta.get("/api/v1/advisories/" + e.draft.Ident); a.Status != http.StatusNotFound {
		t.Errorf("beta's token reads the client's advisory: %d", a.Status)
	}
	// A site admin's token limited to beta reaches beta only.
	admin := e.env.mustUser(t, "root@example.org", db.RoleAdmin)
	limited := e.env.api(t, e.token(t, admin, db.ScopeAdmin, "beta"))
	if got := listIncidents(t, limited, "").refs(); got != e.betaInc.Ref() {
		t.Errorf("a beta-limited admin token lists %q", got)
	}
	if a := limited.get("/api/v1/advisories/" + e.published.Ident); a.Status != http.StatusNotFound {
		t.Errorf("a beta-limited admin token reads the client's advisory: %d", a.Status)
	}
	// A program member has no role in the organisation: nothing.
	member := e.env.mustUser(t, "prog@example.org", db.RoleTriager, e.own.ID)
	pm := e.env.api(t, e.token(t, member, db.ScopeRead, ""))
	if got := listIncidents(t, pm, "").refs(); got != "" {
		t.Errorf("a program member's token lists %q", got)
	}
	if got := listAdvisories(t, pm).ids(); got != "" {
		t.Errorf("a program member's token lists advisories %q", got)
	}
}

func TestAPIIncidentRoleLostAtOnce(t *testing.T) {
	e := newAPIOrgEnv(t)
	api := e.env.api(t, e.token(t, e.view, db.ScopeRead, ""))
	for _, p := range []string{"/api/v1/incidents/" + e.inc.Ref(), "/api/v1/advisories/" + e.draft.Ident} {
		if a := api.get(p); a.Status != http.StatusOK {
			t.Fatalf("%s before: %d", p, a.Status)
		}
	}
	if err := e.env.DB.RemoveOrgMember(context.Background(), e.client.ID, e.view.ID, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/api/v1/incidents/" + e.inc.Ref(), "/api/v1/advisories/" + e.draft.Ident} {
		if a := api.get(p); a.Status != http.StatusNotFound {
			t.Errorf("%s after the role was removed: %d, want 404", p, a.Status)
		}
	}
	if got := listIncidents(t, api, "").refs(); got != "" {
		t.Errorf("the list after the role was removed: %q", got)
	}
}

func TestAPIIncidentSealedAndLocked(t *testing.T) {
	e := newAPIOrgEnv(t, true)
	api := e.env.api(t, e.token(t, e.tri, db.ScopeRead, ""))
	e.key.Lock()
	for _, p := range []string{"/api/v1/incidents", "/api/v1/incidents/" + e.inc.Ref()} {
		a := api.get(p)
		if a.Status != http.StatusOK {
			t.Fatalf("%s: %d %s", p, a.Status, a.Body)
		}
		if strings.Contains(string(a.Body), "Checkout data exposed") || !strings.Contains(string(a.Body), `"locked":true`) ||
			!strings.Contains(string(a.Body), db.SealedText) {
			t.Errorf("%s with the key locked: %s", p, a.Body)
		}
	}
}

func TestAPIAdvisories(t *testing.T) {
	e := newAPIOrgEnv(t)
	for _, tc := range []struct {
		name  string
		token string
	}{
		{"triager, read token", e.token(t, e.tri, db.ScopeRead, "")},
		{"viewer", e.token(t, e.view, db.ScopeRead, "")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			api := e.env.api(t, tc.token)
			want := e.published.Ident + "/published " + e.draft.Ident + "/in_review"
			if got := listAdvisories(t, api).ids(); got != want {
				t.Errorf("advisories %q, want %q", got, want)
			}
			var adv struct {
				ID, State string
				Reports   []string
				Products  []struct{ Product string }
				Links     *struct{ Page, CSAF, OSV string }
			}
			a := api.get("/api/v1/advisories/" + e.draft.Ident)
			if a.Status != http.StatusOK {
				t.Fatalf("the draft: %d %s", a.Status, a.Body)
			}
			a.decode(t, &adv)
			if adv.ID != e.draft.Ident || adv.Links != nil || len(adv.Reports) != 1 || len(adv.Products) != 1 {
				t.Errorf("the draft: %+v", adv)
			}
			a = api.get("/api/v1/advisories/" + strings.ToLower(e.published.Ident))
			if a.Status != http.StatusOK {
				t.Fatalf("the published one: %d %s", a.Status, a.Body)
			}
			a.decode(t, &adv)
			if adv.Links == nil || !strings.HasSuffix(adv.Links.OSV, "/advisories/"+e.published.Ident+"/osv.json") ||
				!strings.Contains(adv.Links.CSAF, "/.well-known/csaf/white/") {
				t.Errorf("the published one's links: %+v", adv.Links)
			}
			if p := api.get("/api/v1/advisories/" + e.betaAdv.Ident); p.Status != http.StatusNotFound || p.problem(t)["status"] != float64(404) {
				t.Errorf("another organisation's advisory: %d, want the 404 problem", p.Status)
			}
		})
	}
}
