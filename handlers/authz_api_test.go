package handlers_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/handlers"
)

// apiGrant is what the API token of a matrix subject is: its user (role,
// member, org as subject has them for sessions), its scope and
// organisation limit, and whether it still works. A subject with a token
// has no session: to the pages it is a stranger.
type apiGrant struct {
	role   db.Role
	member bool   // the user is a member of the own program
	org    string // as subject.org
	scope  db.APIScope
	limit  string // organisation limit: "", "client", "sibling" or "default"
	dead   string // "revoked", "expired" or "disabled": the token no longer works
	secret string
	// seesOwn and writesSome are what the grant reaches in the fixture:
	// the own program's reports, and changing some program's.
	seesOwn, writesSome bool
}

// tokenSubjects are the matrix's API clients: every role through every
// scope, organisation limits, and tokens that ended.
func tokenSubjects() []*subject {
	g := func(name string, a apiGrant) *subject { return &subject{name: name, api: &a} }
	return []*subject{
		g("token-admin-admin", apiGrant{role: db.RoleAdmin, scope: db.ScopeAdmin}),
		g("token-admin-write", apiGrant{role: db.RoleAdmin, scope: db.ScopeWrite}),
		g("token-admin-read", apiGrant{role: db.RoleAdmin, scope: db.ScopeRead}),
		g("token-admin-admin-sibling-only", apiGrant{role: db.RoleAdmin, scope: db.ScopeAdmin, limit: "sibling"}),
		g("token-admin-admin-client-only", apiGrant{role: db.RoleAdmin, scope: db.ScopeAdmin, limit: "client"}),
		g("token-triager-member-write", apiGrant{role: db.RoleTriager, member: true, scope: db.ScopeWrite}),
		g("token-triager-member-read", apiGrant{role: db.RoleTriager, member: true, scope: db.ScopeRead}),
		g("token-triager-outsider-admin", apiGrant{role: db.RoleTriager, scope: db.ScopeAdmin}),
		g("token-viewer-member-admin", apiGrant{role: db.RoleViewer, member: true, scope: db.ScopeAdmin}),
		g("token-parent-admin-admin", apiGrant{role: db.RoleAdmin, org: "parent", scope: db.ScopeAdmin}),
		g("token-parent-triager-write-sibling-only", apiGrant{role: db.RoleTriager, org: "parent", scope: db.ScopeWrite, limit: "sibling"}),
		g("token-child-triager-write", apiGrant{role: db.RoleTriager, org: "child", scope: db.ScopeWrite}),
		g("token-child-viewer-write", apiGrant{role: db.RoleViewer, org: "child", scope: db.ScopeWrite}),
		g("token-sibling-admin-admin", apiGrant{role: db.RoleAdmin, org: "sibling", scope: db.ScopeAdmin}),
		g("token-revoked", apiGrant{role: db.RoleAdmin, scope: db.ScopeAdmin, dead: "revoked"}),
		g("token-expired", apiGrant{role: db.RoleAdmin, scope: db.ScopeAdmin, dead: "expired"}),
		g("token-user-disabled", apiGrant{role: db.RoleAdmin, scope: db.ScopeAdmin, dead: "disabled"}),
	}
}

// makeToken creates the subject's user and token (and ends the token as
// the grant says).
func (f *matrixFixture) makeToken(t *testing.T, s *subject) {
	t.Helper()
	ctx := context.Background()
	a := s.api
	email := s.name + "@example.org"
	var u *db.User
	switch {
	case a.org != "":
		u = f.env.mustUser(t, email, db.RoleViewer)
		o := map[string]int64{"parent": db.DefaultOrgID, "child": f.client.ID, "sibling": f.siblingOrg.ID}[a.org]
		if err := f.env.DB.SetOrgMember(ctx, o, u.ID, a.role, db.ActorSystem); err != nil {
			t.Fatal(err)
		}
	case a.role == db.RoleAdmin:
		u = f.env.mustUser(t, email, a.role)
	case a.member:
		u = f.env.mustUser(t, email, a.role, f.own.ID)
	default:
		u = f.env.mustUser(t, email, a.role, f.other.ID)
	}
	var life time.Duration
	if a.dead == "expired" {
		life = time.Nanosecond
	}
	tok, secret, err := f.env.DB.CreateAPIToken(ctx, u.ID, db.NewAPIToken{Name: s.name, Scope: a.scope, OrgSlug: a.limit, Expires: life}, db.ActorSystem)
	if err != nil {
		t.Fatalf("%s: %v", s.name, err)
	}
	a.secret = secret
	a.seesOwn = a.reaches(f, f.own.ID)
	a.writesSome = a.writes() && (a.reaches(f, f.own.ID) || a.reaches(f, f.other.ID) || a.reaches(f, f.hooks.ID))
	switch a.dead {
	case "revoked":
		err = f.env.DB.RevokeAPIToken(ctx, tok.ID, u.ID, db.ActorSystem)
	case "expired":
		f.env.clock.Advance(time.Microsecond)
	case "disabled":
		err = f.env.DB.SetUserDisabled(ctx, u.ID, true, db.ActorSystem)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// reaches says whether the grant's user reaches a program (as
// subject.sees), and withinLimit whether the organisation limit lets it.
func (a *apiGrant) reaches(f *matrixFixture, programID int64) bool {
	siteAdmin := a.role == db.RoleAdmin && a.org == ""
	var user bool
	switch {
	case siteAdmin, a.org == "parent":
		user = true
	case a.org == "child":
		user = programID == f.own.ID
	case a.org == "sibling":
		user = programID == f.other.ID
	case a.member:
		user = programID == f.own.ID
	default:
		user = programID == f.other.ID
	}
	switch a.limit {
	case "client":
		return user && programID == f.own.ID
	case "sibling":
		return user && programID == f.other.ID
	}
	return user
}

// readsOrg says whether the grant has a role in an organisation ("client"
// or "sibling", both children of the default one): a site admin's token or
// a role in it or in its parent, within the organisation limit. Program
// members have no organisation role.
func (a *apiGrant) readsOrg(org string) bool {
	if a.limit != "" && a.limit != org {
		return false
	}
	return (a.role == db.RoleAdmin && a.org == "") || a.org == "parent" || (a.org == "child" && org == "client") || a.org == org
}

// notReached is a value of an "another organisation's" variant: the
// sibling organisation's fixture for a subject that has no role there,
// and a missing one for those that have (site admins, the parent's
// members): both must answer 404.
func notReached(sibling, missing string) func(c *matrixCase) string {
	return func(c *matrixCase) string {
		if c.s.api != nil && c.s.api.readsOrg("sibling") {
			return missing
		}
		return sibling
	}
}

func (a *apiGrant) writes() bool {
	return a.scope != db.ScopeRead && (a.role == db.RoleAdmin || a.role == db.RoleTriager)
}

// deriveAPI is the API rules as the matrix reads them (access.go). Every
// subject without a working token, those with a session or the metrics
// token included, gets 401.
func deriveAPI(rule handlers.Access, s *subject) outcome {
	ok, forbidden, notFound := outcome{allowed: true}, outcome{status: http.StatusForbidden}, outcome{status: http.StatusNotFound}
	a := s.api
	if a == nil || a.dead != "" {
		return outcome{status: http.StatusUnauthorized}
	}
	seesOwn, writesSome := a.seesOwn, a.writesSome
	switch rule {
	case handlers.APIToken:
		return ok
	case handlers.APIWriter:
		if !writesSome {
			return forbidden
		}
		return ok
	case handlers.APIReportReader:
		if !seesOwn {
			return notFound
		}
		return ok
	case handlers.APIReportWriter:
		switch {
		case !seesOwn:
			return notFound
		case !a.writes():
			return forbidden
		}
		return ok
	case handlers.APIAdmin:
		if a.role != db.RoleAdmin || a.org != "" || a.scope != db.ScopeAdmin || a.limit != "" {
			return forbidden
		}
		return ok
	case handlers.APIIncidentReader, handlers.APIAdvisoryReader: // the fixtures are the client organisation's
		if !a.readsOrg("client") {
			return notFound
		}
		return ok
	}
	panic("deriveAPI: not an API rule")
}

func isAPIRule(a handlers.Access) bool {
	switch a {
	case handlers.APIToken, handlers.APIWriter, handlers.APIReportReader, handlers.APIReportWriter, handlers.APIAdmin,
		handlers.APIIncidentReader, handlers.APIAdvisoryReader:
		return true
	}
	return false
}

// apiBodies are the JSON the matrix sends to the API's POST routes.
var apiBodies = map[string]string{
	"POST /api/v1/reports":                     `{"program":"","title":"","description":""}`, // refused: 422 for everyone let through
	"POST /api/v1/reports/:ref/state":          `{"to":"triaged"}`,
	"POST /api/v1/reports/:ref/assignee":       `{"assignee":null}`,
	"POST /api/v1/reports/:ref/classification": `{"asset":"api.example.org"}`,
	"POST /api/v1/reports/:ref/replies":        `{"body":"Thanks, reproduced."}`,
	"POST /api/v1/reports/:ref/notes":          `{"body":"Internal."}`,
}

// apiSend sends the case's API request (a JSON body, If-Match with the
// case's report version) through the subject's browser, so its cookies and
// headers go along, and checks the answer against the OpenAPI document.
func (c *matrixCase) apiSend(path, key string) page {
	c.t.Helper()
	b := c.s.b
	var body []byte
	if c.method != http.MethodGet {
		body = []byte(apiBodies[key])
		if body == nil {
			c.t.Fatalf("%s has no body in apiBodies", key)
		}
	}
	req, err := http.NewRequest(c.method, b.p.Server.URL+path, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.mailed != nil && c.method != http.MethodGet {
		req.Header.Set("If-Match", etagOf(c.mailed.r.Version))
	}
	pg := b.do(req)
	if strings.HasPrefix(path, "/api/v1/") {
		checkContract(c.t, req, body, apiAnswer{Status: pg.Status, Header: pg.Header, Body: []byte(pg.Body)})
	}
	return pg
}

func etagOf(version int64) string { return `"` + itoa(version) + `"` }

// tokenOf is a fresh token of the case's subject (its own, for the revoke
// route), or someone's for a subject refused before any lookup.
func (f *matrixFixture) tokenOf(c *matrixCase) int64 {
	if !c.s.staff() || c.s.enrolling {
		return f.someoneToken
	}
	u, err := f.env.DB.UserByEmail(context.Background(), c.s.email)
	if err != nil {
		c.t.Fatal(err)
	}
	tok, _, err := f.env.DB.CreateAPIToken(context.Background(), u.ID, db.NewAPIToken{Name: "revoked by the matrix", Scope: db.ScopeRead}, db.ActorSystem)
	if err != nil {
		c.t.Fatal(err)
	}
	return tok.ID
}
