package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/handlers"
	"github.com/labstack/echo/v4"
)

// TestAuthorizationMatrix is generated from the route table
// (handlers.Server.Routes): every route × every kind of user (subject),
// with the answer derived from the route's access rule. A route whose rule
// the test does not know, whose path parameter has no fixture, or whose
// answer to an allowed request is not stated (answers) fails it, so no
// route ships without an answer for each subject.
//
// Path parameters come from the fixtures (params); for a parameter that
// names something under a report, a user or a webhook, the ids of another
// one run as cases of their own and must be 404 for everyone the rule lets
// through. Beyond the rules, the test keeps what the hand-written matrices
// it replaced checked and a rule cannot say: the queue and the exports
// list exactly the reports of the subject's programs, a 404 never shows
// the report, an internal note's attachment is not the reporter's, and
// nothing a refused request sent was applied (checkRefusedChangedNothing).
func TestAuthorizationMatrix(t *testing.T) {
	f := newMatrixFixture(t)
	params := f.params()
	n := 0
	run := func(subjects []*subject) {
		for _, rt := range f.env.Handler.Routes() {
			methods := []string{rt.Method}
			if rt.Method == echo.RouteNotFound {
				methods = []string{http.MethodGet, http.MethodPost}
			}
			for _, method := range methods {
				variants, ok := variantsOf(rt.Path, params)
				if !ok {
					t.Errorf("%s %s: a path parameter has no fixture in params()", rt.Method, rt.Path)
					continue
				}
				for _, variant := range variants {
					for _, s := range subjects {
						name := s.name + " " + method + " " + rt.Path
						if variant != "" {
							name += " (" + variant + ")"
						}
						n++
						t.Run(name, func(t *testing.T) {
							c := &matrixCase{t: t, f: f, s: s, rule: rt, method: method, variant: variant}
							c.run(params)
						})
					}
				}
			}
		}
	}
	var enrolling []*subject
	var others []*subject
	for _, s := range f.subjects {
		if s.enrolling {
			enrolling = append(enrolling, s)
		} else {
			others = append(others, s)
		}
	}
	run(others)
	if pg := f.someoneB.get("/account/sessions"); pg.Status != http.StatusOK || !strings.Contains(pg.Body, f.someoneSession) {
		t.Errorf("someone's sessions were ended by another user (%d)", pg.Status)
	}
	// The portal now requires a second factor, which enrolling has not set
	// up (every other subject would be enrolling too: they ran first).
	if err := f.env.DB.SetRequire2FA(context.Background(), true, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	run(enrolling)
	t.Logf("%d cases", n)
	checkRefusedChangedNothing(t, f)
}

// variantsOf is "" (the fixtures' own values) and the names of the others
// of the path's parameters; ok is false when a parameter has no fixture.
func variantsOf(path string, params map[string]param) (variants []string, ok bool) {
	variants = []string{""}
	for _, key := range paramKeys(path) {
		p, found := params[key]
		if !found {
			return nil, false
		}
		for _, o := range p.others {
			variants = append(variants, o.name)
		}
	}
	return variants, true
}

// paramKeys are the keys of the path's parameters in params: the path up
// to and including each parameter.
func paramKeys(path string) []string {
	var keys []string
	segs := strings.Split(path, "/")
	for i, seg := range segs {
		if strings.HasPrefix(seg, ":") || seg == "*" {
			keys = append(keys, strings.Join(segs[:i+1], "/"))
		}
	}
	return keys
}

// matrixCase is one request of the matrix.
type matrixCase struct {
	t       *testing.T
	f       *matrixFixture
	s       *subject
	rule    handlers.RouteRule
	method  string
	variant string

	mailed          *mailed // the report of a /triage/reports/:ref case, fresh for each
	hook, delivery  int64
	hasSub, isOther bool
}

// report is the case's own report (a fresh one, so that every write starts
// from the same state).
func (c *matrixCase) report() mailed {
	if c.mailed == nil {
		m := c.f.mailedReport(c.t, c.f.own)
		c.mailed = &m
	}
	return *c.mailed
}

// webhook is the case's own webhook, with a delivery (a fresh one: the
// delete route deletes it).
func (c *matrixCase) webhook() int64 {
	if c.hook == 0 {
		c.hook, c.delivery = c.f.newHook(c.t)
	}
	return c.hook
}

// path fills the route's parameters from the fixtures; a parameter with
// others takes the variant's value when the case runs one.
func (c *matrixCase) path(params map[string]param) string {
	route := strings.Split(c.rule.Path, "/")
	segs := append([]string(nil), route...)
	for i, seg := range route {
		if !strings.HasPrefix(seg, ":") && seg != "*" {
			continue
		}
		p := params[strings.Join(route[:i+1], "/")]
		value := p.value(c)
		if len(p.others) > 0 {
			c.hasSub = true
			for _, o := range p.others {
				if o.name == c.variant {
					value, c.isOther = o.value(c), true
				}
			}
		}
		segs[i] = url.PathEscape(value)
	}
	return strings.Join(segs, "/")
}

// outcome is what a rule does with a subject: let it through (allowed) or
// answer status, redirecting to location.
type outcome struct {
	allowed  bool
	status   int
	location string
}

// derive is the access rule as the matrix reads it (access.go says the same
// in words).
func derive(rule handlers.Access, method string, s *subject) (outcome, bool) {
	get := method == http.MethodGet
	ok := outcome{allowed: true}
	login := outcome{status: http.StatusUnauthorized}
	enrol := outcome{status: http.StatusForbidden}
	if get {
		login = outcome{status: http.StatusSeeOther, location: "/login?next="}
		enrol = outcome{status: http.StatusSeeOther, location: "/account/2fa"}
	}
	staff := func(then outcome) outcome {
		switch {
		case !s.staff():
			return login
		case s.enrolling:
			return enrol
		}
		return then
	}
	forbidden, notFound := outcome{status: http.StatusForbidden}, outcome{status: http.StatusNotFound}
	switch rule {
	case handlers.Public:
		return ok, true
	case handlers.Scraper:
		if s.scraper {
			return ok, true
		}
		return outcome{status: http.StatusUnauthorized}, true
	case handlers.Reporter:
		switch {
		case s.reporter != "":
			return ok, true
		case get:
			return notFound, true
		}
		return outcome{status: http.StatusUnauthorized}, true
	case handlers.SignedIn:
		if !s.staff() {
			return login, true
		}
		return ok, true
	case handlers.Staff:
		return staff(ok), true
	case handlers.Writer:
		if !s.writes() {
			return staff(forbidden), true
		}
		return staff(ok), true
	case handlers.ReportReader:
		if !s.seesOwn() {
			return staff(notFound), true
		}
		return staff(ok), true
	case handlers.ReportWriter:
		switch {
		case !s.seesOwn():
			return staff(notFound), true
		case !s.writes():
			return staff(forbidden), true
		}
		return staff(ok), true
	case handlers.Admin:
		if !s.siteAdmin() {
			return staff(forbidden), true
		}
		return staff(ok), true
	case handlers.OrgsAdmin:
		if !s.managesAny() {
			return staff(forbidden), true
		}
		return staff(ok), true
	case handlers.OrgAdmin:
		if !s.managesClient() {
			return staff(notFound), true
		}
		return staff(ok), true
	case handlers.OrgMember: // any role in the client organisation or its parent
		if !s.siteAdmin() && s.org != "parent" && s.org != "child" {
			return staff(notFound), true
		}
		return staff(ok), true
	}
	return outcome{}, false
}

func (c *matrixCase) run(params map[string]param) {
	t, s := c.t, c.s
	s.b.t = t
	key := c.method + " " + c.rule.Path
	want, known := derive(c.rule.Access, c.method, s)
	if !known {
		t.Fatalf("the matrix does not know the rule %v", c.rule.Access)
	}
	if to, ok := prepare[key]; ok {
		s.b.get(to)
	}
	path := c.path(params)
	if want.allowed {
		switch {
		case c.rule.Method == echo.RouteNotFound:
			want = outcome{status: http.StatusNotFound}
		case c.isOther:
			want = outcome{status: http.StatusNotFound} // another report's, user's or webhook's
		case c.rule.Access == handlers.Reporter && c.hasSub && s.reporter != "own":
			want = outcome{status: http.StatusNotFound} // the fixture is of another reporter's report
		default:
			a, ok := answers[key]
			if sa, signed := signedInAnswers[key]; signed && s.staff() {
				a, ok = sa, true
			}
			switch {
			case ok:
				want = outcome{status: a.status, location: a.location}
			case c.method == http.MethodGet:
				want = outcome{status: http.StatusOK}
			default:
				t.Fatalf("%s has no stated answer: add it to answers", key)
			}
		}
	}
	var pg page
	if c.method == http.MethodGet {
		pg = s.b.get(path + query[key])
	} else {
		form := url.Values{}
		for k, v := range c.f.forms(c)[key] {
			form[k] = v
		}
		if c.mailed != nil {
			form.Set("version", fmt.Sprint(c.mailed.r.Version))
		}
		pg = s.b.post(path, form)
	}
	if sessionChanging[key] {
		defer c.f.connect(t, s)
	}
	if pg.Status != want.status {
		t.Fatalf("status %d (%s), want %d", pg.Status, pg.Location, want.status)
	}
	if want.location != "" && !strings.HasPrefix(pg.Location, want.location) {
		t.Fatalf("redirect to %q, want %s…", pg.Location, want.location)
	}
	if want.location == "" && strings.HasPrefix(pg.Location, "/login") {
		t.Fatalf("sent to sign in: %q", pg.Location)
	}
	if pg.Status == http.StatusNotFound && c.mailed != nil && strings.Contains(pg.Body, c.mailed.r.Title) {
		t.Fatal("a 404 page shows the report")
	}
	if _, listing := query[key]; listing && pg.Status == http.StatusOK {
		for _, m := range []mailed{c.f.sibling, c.f.foreign} {
			sees := s.sees(c.f, m.r.ProgramID)
			if listed := strings.Contains(pg.Body, m.r.Ref()+"<") || strings.Contains(pg.Body, m.r.Ref()+",") ||
				strings.Contains(pg.Body, m.r.Ref()+`"`); listed != sees {
				t.Errorf("%s listed=%v, want %v", m.r.Ref(), listed, sees)
			}
		}
	}
}

// checkRefusedChangedNothing: the requests the rules refused changed
// nothing, those of another report's, user's or webhook's ids neither.
func checkRefusedChangedNothing(t *testing.T, f *matrixFixture) {
	ctx := context.Background()
	d := f.env.DB
	for _, m := range []mailed{f.sibling, f.foreign} {
		r, err := d.ReportByID(ctx, m.r.ID)
		if err != nil || r.Reporter.PGPFingerprint != "" {
			t.Errorf("%s: a key was saved through another report's URL (%v)", m.r.Ref(), err)
		}
		tl, err := d.Timeline(ctx, m.r.ID, false)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range tl {
			if e.ID == f.siblingUnverified || e.ID == f.foreignUnverif {
				if !e.Unverified {
					t.Errorf("%s: a mail was accepted through another report's URL", m.r.Ref())
				}
			}
		}
	}
	if u, err := d.UserByID(ctx, f.target.ID); err != nil || u.Name != "Matrix admin" {
		t.Errorf("the target user is named %q (%v), want the admin's change only", u.Name, err)
	}
	for _, s := range f.subjects {
		_, err := d.UserByEmail(ctx, "m-"+s.name+"@example.org")
		if created := err == nil; created != (s.siteAdmin() && !s.enrolling) {
			t.Errorf("the invite of %s: created=%v", s.name, created)
		}
	}
	hooks, err := d.Webhooks(ctx, f.own.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hooks {
		if !strings.HasSuffix(h.URL, "/admin") {
			t.Errorf("a refused request added webhook %s", h.URL)
		}
	}
}
