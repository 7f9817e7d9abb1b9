package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/handlers"
	"github.com/disclose/disclose/mailin/pgp"
)

// incidentEnv is a portal with a client organisation holding the Shop
// program, an exploited web report and a mailed one there, and a triager
// and a viewer of the client.
type incidentEnv struct {
	*triageFixture
	key               *pgp.TeamKey
	client            *db.Organisation
	exploited, mailed *db.Report
	triager, viewer   *browser
}

func newIncidentEnv(t *testing.T, sealed ...bool) *incidentEnv {
	t.Helper()
	ctx := context.Background()
	key := newTeamKey(t)
	if err := key.Unlock([]byte(sealPassphrase)); err != nil {
		t.Fatal(err)
	}
	p := newPortal(t, configure(func(c *handlers.Config) { c.SecurityEmail, c.TeamKey, c.KeyControl = "security@example.org", key, key }))
	if len(sealed) > 0 && sealed[0] {
		p.DB.SetSealer(key, true)
	}
	client, err := p.DB.CreateOrg(ctx, &db.NewOrg{Slug: "client", Name: "Client", ParentSlug: "default"}, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	pr := db.NewProgramDefaults()
	pr.Name, pr.Slug, pr.Prefix, pr.Email, pr.OrgID = "Shop", "shop", "SHOP", "security@shop.example", client.ID
	shop, err := p.DB.SaveProgram(ctx, pr, nil, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	e := &incidentEnv{triageFixture: &triageFixture{env: p, own: shop}, key: key, client: client}
	in := &db.NewReport{ProgramID: shop.ID, Source: db.SourceWeb, Title: "SQL injection in checkout, exploited", Exploited: true,
		Description: "Orders of other customers are returned.", Reporter: db.Reporter{Credit: db.CreditAnonymous},
		Attachments: []db.NewAttachment{{Filename: "../poc dump.txt", ContentType: "text/plain", Data: []byte("order 1, order 2")}}}
	rc, err := p.DB.CreateReport(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if e.exploited, err = p.DB.ReportByID(ctx, rc.ReportID); err != nil {
		t.Fatal(err)
	}
	e.mailed = e.mailedReport(t, shop).r
	for email, role := range map[string]db.Role{"tri@client.example": db.RoleTriager, "view@client.example": db.RoleViewer} {
		u := p.mustUser(t, email, db.RoleViewer)
		if err := p.DB.SetOrgMember(ctx, client.ID, u.ID, role, db.ActorSystem); err != nil {
			t.Fatal(err)
		}
	}
	e.triager, e.viewer = p.browser(t), p.browser(t)
	e.triager.mustLogin("tri@client.example")
	e.viewer.mustLogin("view@client.example")
	return e
}

var versionRE = regexp.MustCompile(`name="version" value="(\d+)"`)

func pageVersion(t *testing.T, body string) string {
	t.Helper()
	m := versionRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("the page has no version field")
	}
	return m[1]
}

func doc(t *testing.T, body string) *goquery.Document {
	t.Helper()
	d, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// escalate opens an incident from the exploited report through the pages,
// recording awareness an hour ago and the CRA preset, and returns its path.
func (e *incidentEnv) escalate(t *testing.T) string {
	t.Helper()
	b := e.triager
	rp := b.get("/triage/reports/" + e.exploited.Ref())
	if d := doc(t, rp.Body); d.Find(`[data-testid=escalate]`).Length() != 1 || d.Find(`[data-testid=escalate-suggested]`).Length() != 1 {
		t.Fatalf("the report page offers no escalation (status %d)", rp.Status)
	}
	form := b.follow(b.get("/triage/reports/" + e.exploited.Ref() + "/escalate"))
	fd := doc(t, form.Body)
	if fd.Find(`[data-suggested=cra-exploited]`).Length() != 1 || fd.Find(`#f-preset-cra-exploited[checked]`).Length() != 1 {
		t.Fatalf("the CRA preset is not suggested for an exploited report:\n%s", form.Body)
	}
	if v, _ := fd.Find(`#f-aware_at`).Attr("value"); v != "" {
		t.Fatalf("awareness was assumed: %q", v)
	}
	aware := e.env.DB.Now().Add(-time.Hour).UTC().Format("2006-01-02T15:04")
	res := b.post("/orgs/client/incidents", url.Values{"title": {"Checkout breach"}, "severity": {"critical"},
		"report": {e.exploited.Ref() + " " + e.mailed.Ref()}, "aware_at": {aware}, "aware_source": {e.exploited.Ref() + " (exploited)"},
		"preset": {"cra-exploited"}})
	if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location, "/incidents/INC-") {
		t.Fatalf("open incident: %d %s\n%s", res.Status, res.Location, res.Body)
	}
	return strings.TrimSuffix(res.Location, "?done=opened")
}

// TestIncidentEscalation: a report marked exploited is escalated from its
// page; awareness is recorded, the three CRA clocks run, the reports are on
// legal hold and link back, the early warning is marked sent with a
// reference; a stale form is refused with 409; a viewer reads only.
func TestIncidentEscalation(t *testing.T) {
	e := newIncidentEnv(t)
	path := e.escalate(t)
	b := e.triager
	pg := b.get(path)
	d := doc(t, pg.Body)
	if d.Find(`[data-testid=hold-note]`).Length() != 1 || d.Find(`[data-testid=incident-reports] li`).Length() != 2 {
		t.Fatalf("the incident page does not list its two reports on legal hold")
	}
	for stage, clock := range map[string]string{"early-warning": "running", "notification": "running", "final-report": "waiting"} {
		row := d.Find(`[data-obligation="cra-exploited/` + stage + `"]`)
		if got, _ := row.Find(`[data-clock]`).Attr("data-clock"); got != clock {
			t.Errorf("CRA %s clock %q, want %q", stage, got, clock)
		}
	}
	if due := strings.TrimSpace(d.Find(`[data-obligation="cra-exploited/early-warning"] [data-due]`).Text()); !strings.Contains(due, "UTC") {
		t.Errorf("the early warning's due time %q", due)
	}
	for _, r := range []*db.Report{e.exploited, e.mailed} {
		if held, _ := e.env.DB.LegalHold(context.Background(), r.ID); !held {
			t.Errorf("%s is not on legal hold", r.Ref())
		}
		rd := doc(t, b.get("/triage/reports/"+r.Ref()).Body)
		if rd.Find(`[data-testid=report-incidents] [data-incident]`).Length() != 1 || !strings.Contains(rd.Find(`[data-testid=report-incidents]`).Text(), "On legal hold") {
			t.Errorf("%s does not link back to its incident on legal hold", r.Ref())
		}
	}

	// Mark the early warning sent; then a form made before that is stale.
	v := pageVersion(t, pg.Body)
	var id string
	d.Find(`[data-obligation-forms="cra-exploited/early-warning"] form[data-testid=mark-sent]`).Each(func(_ int, s *goquery.Selection) {
		id, _ = s.Attr("action")
	})
	sent := b.post(id, url.Values{"version": {v}, "state": {"sent"}, "sent_at": {e.env.DB.Now().UTC().Format(time.RFC3339)},
		"sent_to": {"CSIRT-DE via the single reporting platform"}, "reference": {"SRP-2026-0042"}, "sent_copy": {"Early warning text"}})
	if sent.Status != http.StatusSeeOther {
		t.Fatalf("mark sent: %d\n%s", sent.Status, sent.Body)
	}
	after := doc(t, b.get(path).Body)
	row := after.Find(`[data-obligation="cra-exploited/early-warning"]`)
	if st, _ := row.Attr("data-state"); st != "sent" || !strings.Contains(row.Text(), "SRP-2026-0042") {
		t.Errorf("the early warning is %q: %s", st, row.Text())
	}
	stale := b.post(path+"/status", url.Values{"version": {v}, "to": {"contained"}})
	if stale.Status != http.StatusConflict || doc(t, stale.Body).Find(`[data-testid=conflict]`).Length() != 1 {
		t.Errorf("a stale status form: %d", stale.Status)
	}
	closing := b.post(path+"/status", url.Values{"version": {pageVersion(t, b.get(path).Body)}, "to": {"closed"}})
	if closing.Status != http.StatusUnprocessableEntity || !strings.Contains(closing.Body, "pending") {
		t.Errorf("closing with pending notifications: %d", closing.Status)
	}

	// The viewer reads, without forms, and cannot write.
	vp := e.viewer.get(path)
	if vp.Status != http.StatusOK || doc(t, vp.Body).Find(`form[data-testid=awareness-form]`).Length() != 0 {
		t.Errorf("the viewer's page: %d, or it shows forms", vp.Status)
	}
	if w := e.viewer.post(path+"/status", url.Values{"version": {pageVersion(t, b.get(path).Body)}, "to": {"contained"}}); w.Status != http.StatusForbidden {
		t.Errorf("the viewer changed the status: %d", w.Status)
	}
	// The list shows the incident and its clock.
	list := doc(t, e.viewer.get("/incidents").Body)
	if list.Find(`[data-incident]`).Length() != 1 {
		t.Errorf("the incidents list shows %d incidents, want 1", list.Find(`[data-incident]`).Length())
	}
}

// TestIncidentListScoped: the list shows the incidents of the user's
// organisations only.
func TestIncidentListScoped(t *testing.T) {
	e := newIncidentEnv(t)
	ctx := context.Background()
	other, err := e.env.DB.CreateOrg(ctx, &db.NewOrg{Slug: "other", Name: "Other"}, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	var refs []string
	for _, org := range []int64{e.client.ID, other.ID} {
		i, err := e.env.DB.CreateIncident(ctx, &db.NewIncident{OrgID: org, Title: "Breach", Severity: "low"}, db.ActorSystem)
		if err != nil {
			t.Fatal(err)
		}
		refs = append(refs, i.Ref())
	}
	// References are random: neither tells how many incidents exist.
	for _, ref := range refs {
		if n, _ := db.ParseIncidentRef(ref); n < 1_000_000_000 {
			t.Errorf("incident reference %s looks like a count", ref)
		}
	}
	list := doc(t, e.viewer.get("/incidents").Body)
	if n := list.Find(`[data-incident]`).Length(); n != 1 {
		t.Fatalf("the client's viewer lists %d incidents, want its own 1", n)
	}
	if got, _ := list.Find(`[data-incident]`).Attr("data-incident"); got != refs[0] {
		t.Errorf("listed %s", got)
	}
	if p := e.viewer.get("/incidents/" + refs[1]); p.Status != http.StatusNotFound {
		t.Errorf("another organisation's incident: %d", p.Status)
	}
}

// TestIncidentPagesAccessible: the incident pages pass the offline
// accessibility checks of the other pages.
func TestIncidentPagesAccessible(t *testing.T) {
	e := newIncidentEnv(t)
	path := e.escalate(t)
	admin := e.env.browser(t)
	e.env.mustUser(t, "admin@example.org", db.RoleAdmin)
	admin.mustLogin("admin@example.org")
	for name, p := range map[string]page{
		"incident":           e.triager.get(path),
		"incident read":      e.viewer.get(path),
		"list":               e.triager.get("/incidents"),
		"new":                e.triager.get("/orgs/client/incidents/new"),
		"new refused":        e.triager.post("/orgs/client/incidents", url.Values{"title": {""}, "aware_source": {"x"}}),
		"fields refused":     e.triager.post(path, url.Values{"version": {pageVersion(t, e.triager.get(path).Body)}, "title": {""}, "severity": {"high"}, "personal_data": {"maybe"}}),
		"presets":            admin.get("/orgs/client/incident-presets"),
		"obligation refused": e.triager.post(path+"/obligations/1", url.Values{"version": {pageVersion(t, e.triager.get(path).Body)}, "state": {"sent"}}),
		"report with link":   e.triager.get("/triage/reports/" + e.exploited.Ref()),
	} {
		t.Run(name, func(t *testing.T) {
			if p.Status != http.StatusOK && p.Status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d", p.Status)
			}
			for _, problem := range a11yProblems(doc(t, p.Body)) {
				t.Error(problem)
			}
		})
	}
}

// TestIncidentListClockFilter: the list filters incidents whose clock is
// due soon or overdue.
func TestIncidentListClockFilter(t *testing.T) {
	e := newIncidentEnv(t)
	ctx := context.Background()
	now := e.env.DB.Now()
	var refs []string
	for _, in := range []*db.NewIncident{
		{Title: "Overdue", AwareAt: now.Add(-7 * time.Hour), AwareSource: "a call", Presets: []string{"cert-in"}},
		{Title: "Soon", AwareAt: now.Add(-2 * time.Hour), AwareSource: "a call", Presets: []string{"cert-in"}},
		{Title: "Later", AwareAt: now.Add(-time.Hour), AwareSource: "a call", Presets: []string{"gdpr"}},
		{Title: "No awareness", Presets: []string{"cert-in"}},
	} {
		in.OrgID, in.Severity = e.client.ID, "high"
		i, err := e.env.DB.CreateIncident(ctx, in, db.ActorSystem)
		if err != nil {
			t.Fatal(err)
		}
		refs = append(refs, i.Ref())
	}
	overdue, soon, later, none := refs[0], refs[1], refs[2], refs[3]
	for query, want := range map[string]string{"": strings.Join([]string{none, later, soon, overdue}, " "), "?clock=due": soon + " " + overdue, "?clock=overdue": overdue} {
		var got []string
		doc(t, e.viewer.get("/incidents"+query).Body).Find(`[data-incident]`).Each(func(_ int, s *goquery.Selection) {
			ref, _ := s.Attr("data-incident")
			got = append(got, ref)
		})
		if strings.Join(got, " ") != want {
			t.Errorf("/incidents%s lists %v, want %s", query, got, want)
		}
	}
}

// TestEscalateNeedsOrganisationRole: a triager of the program only (no
// role in its organisation) is not offered an escalation it could not
// open, and the incident routes answer it 404.
func TestEscalateNeedsOrganisationRole(t *testing.T) {
	e := newIncidentEnv(t)
	e.env.mustUser(t, "prog@example.org", db.RoleTriager, e.own.ID)
	b := e.env.browser(t)
	b.mustLogin("prog@example.org")
	rp := b.get("/triage/reports/" + e.exploited.Ref())
	if rp.Status != http.StatusOK || doc(t, rp.Body).Find(`[data-testid=escalate]`).Length() != 0 {
		t.Errorf("the program's triager: %d, or offered escalation", rp.Status)
	}
	if p := b.get("/orgs/client/incidents/new"); p.Status != http.StatusNotFound {
		t.Errorf("the program's triager opens the new incident form: %d", p.Status)
	}
}
