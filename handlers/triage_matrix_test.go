package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
)

// triageFixture is the real route table with two programs: reports live in
// "Security" (the default program); every role has a member of it and a
// member of "Other" only.
type triageFixture struct {
	env      *portal
	own      *db.Program // the reports' program
	other    *db.Program
	browsers map[string]*browser
	mails    int // mails ingested, for their UIDs
}

func newTriageFixture(t *testing.T) *triageFixture {
	t.Helper()
	ctx := context.Background()
	env := newPortal(t)
	own, err := env.DB.DefaultProgram(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p := db.NewProgramDefaults()
	p.Name, p.Slug, p.Prefix, p.Email = "Other", "other", "OTH", "security@other.example"
	other, err := env.DB.SaveProgram(ctx, p, nil, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	f := &triageFixture{env: env, own: own, other: other, browsers: map[string]*browser{}}
	for _, role := range []db.Role{db.RoleAdmin, db.RoleTriager, db.RoleViewer} {
		for _, m := range []struct {
			name    string
			program int64
		}{{"member", own.ID}, {"outsider", other.ID}} {
			who := string(role) + "-" + m.name
			env.mustUser(t, who+"@example.org", role, m.program)
			b := env.browser(t)
			b.mustLogin(who + "@example.org")
			f.browsers[who] = b
		}
	}
	anon := env.browser(t)
	anon.get("/login") // a CSRF cookie, so that POSTs reach the session check
	f.browsers["anonymous"] = anon
	return f
}

// newReport files a report through the public form's storage and returns it.
func (f *triageFixture) newReport(t *testing.T, programID int64, title string) *db.Report {
	t.Helper()
	ctx := context.Background()
	rc, err := f.env.DB.CreateReport(ctx, &db.NewReport{ProgramID: programID, Source: db.SourceWeb, Title: title,
		Description: "The profile name is rendered without escaping.", Reporter: db.Reporter{Email: "finder@example.net", Credit: db.CreditAnonymous},
		Attachments: []db.NewAttachment{{Filename: "poc.html", ContentType: "text/html", Data: []byte("<script>alert(1)</script>")}}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := f.env.DB.ReportByID(ctx, rc.ReportID)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (f *triageFixture) attachmentID(t *testing.T, r *db.Report) int64 {
	t.Helper()
	tl, err := f.env.DB.Timeline(context.Background(), r.ID, false)
	if err != nil || len(tl) == 0 || len(tl[0].Attachments) == 0 {
		t.Fatalf("no attachment on %s (%v)", r.Ref(), err)
	}
	return tl[0].Attachments[0].ID
}

// matrixWant is the status each subject of the triage matrix gets.
type matrixWant struct{ adminM, adminO, triagerM, triagerO, viewerM, viewerO, anon int }

// triageRoute is one row of the triage matrix. The path's placeholders are
// filled per row: {ref} is a fresh report of the members' program, {att},
// {entry} and {cand} its attachment, raw mail entry and offered key; {x…}
// are those of a report of another program and {s…} of another report of
// the same program, asked for under {ref}'s URL.
type triageRoute struct {
	method, path string
	form         url.Values
	want         matrixWant
	// listed says the report's reference shows in the body for those who
	// may see it (queue and exports), and only for them.
	listed bool
}

// triageMatrix is every triage route × role (admin, triager, viewer,
// anonymous) × membership of the report's program.
func triageMatrix() []triageRoute {
	type want = matrixWant
	const ok, see, login, unauth, forbidden, notFound = 200, 303, 303, 401, 403, 404
	readPage := want{ok, ok, ok, notFound, ok, notFound, login}
	write := want{see, see, see, notFound, forbidden, notFound, unauth}
	// Another report's sub-resource under a permitted report's URL is
	// nobody's: 404 for those who may read {ref}, as for everyone else.
	foreignRead := want{notFound, notFound, notFound, notFound, notFound, notFound, login}
	foreignWrite := want{notFound, notFound, notFound, notFound, forbidden, notFound, unauth}
	routes := []triageRoute{
		{"GET", "/triage", nil, want{ok, ok, ok, ok, ok, ok, login}, true},
		{"GET", "/triage?state=all&q=escaping", nil, want{ok, ok, ok, ok, ok, ok, login}, true},
		{"GET", "/triage/metrics", nil, want{ok, ok, ok, ok, ok, ok, login}, false},
		{"GET", "/triage/export.csv?state=all", nil, want{ok, ok, ok, ok, forbidden, forbidden, login}, true},
		{"GET", "/triage/export.json?state=all", nil, want{ok, ok, ok, ok, forbidden, forbidden, login}, true},
		{"GET", "/triage/reports/{ref}", nil, readPage, false},
		{"GET", "/triage/reports/{ref}/attachments/{att}", nil, readPage, false},
		{"GET", "/triage/reports/{ref}/attachments/{xatt}", nil, foreignRead, false},
		{"GET", "/triage/reports/{ref}/attachments/{satt}", nil, foreignRead, false},
		{"GET", "/triage/reports/{ref}/mail/{entry}", nil, readPage, false},
		{"GET", "/triage/reports/{ref}/mail/{xentry}", nil, foreignRead, false},
		{"GET", "/triage/reports/{ref}/mail/{sentry}", nil, foreignRead, false},
		{"POST", "/triage/reports/{ref}/keys/{cand}/accept", nil, write, false},
		{"POST", "/triage/reports/{ref}/keys/{xcand}/accept", nil, foreignWrite, false},
		{"POST", "/triage/reports/{ref}/keys/{scand}/accept", nil, foreignWrite, false},
		{"POST", "/triage/reports/{ref}/reply", url.Values{"body": {"Thanks, reproduced."}}, write, false},
		{"POST", "/triage/reports/{ref}/note", url.Values{"body": {"Internal."}}, write, false},
		{"POST", "/triage/reports/{ref}/state", url.Values{"to": {"triaged"}}, write, false},
		{"POST", "/triage/reports/{ref}/assign", url.Values{"assignee": {""}}, write, false},
		{"POST", "/triage/reports/{ref}/fields", url.Values{"asset": {"api.example.org"}, "cvss": {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}}, write, false},
		{"POST", "/triage/reports/{ref}/entries/{uentry}/accept", nil, write, false},
	}
	return routes
}

// TestTriageAuthorization runs the triage matrix. Each row is a fresh
// report, so that every write starts from the same state.
func TestTriageAuthorization(t *testing.T) {
	f := newTriageFixture(t)
	type want = matrixWant
	const ok, see, login, notFound = 200, 303, 303, 404
	foreign, sibling := f.mailedReport(t, f.other), f.mailedReport(t, f.own)
	routes := triageMatrix()
	for _, rt := range routes {
		for _, who := range []struct {
			name   string
			status func(want) int
		}{
			{"admin-member", func(w want) int { return w.adminM }},
			{"admin-outsider", func(w want) int { return w.adminO }},
			{"triager-member", func(w want) int { return w.triagerM }},
			{"triager-outsider", func(w want) int { return w.triagerO }},
			{"viewer-member", func(w want) int { return w.viewerM }},
			{"viewer-outsider", func(w want) int { return w.viewerO }},
			{"anonymous", func(w want) int { return w.anon }},
		} {
			t.Run(who.name+" "+rt.method+" "+rt.path, func(t *testing.T) {
				var r *db.Report
				var own mailed
				if strings.Contains(rt.path, "{entry}") || strings.Contains(rt.path, "{cand}") {
					own = f.mailedReport(t, f.own)
					r = own.r
				} else {
					r = f.newReport(t, f.own.ID, "Matrix "+who.name+" "+rt.method+" "+rt.path+" escaping")
					own.att = f.attachmentID(t, r)
				}
				if strings.Contains(rt.path, "{uentry}") {
					own.entry = f.unverifiedEntry(t, r)
				}
				path := strings.NewReplacer("{ref}", r.Ref(), "{att}", fmt.Sprint(own.att), "{entry}", fmt.Sprint(own.entry), "{uentry}", fmt.Sprint(own.entry),
					"{cand}", fmt.Sprint(own.cand), "{xatt}", fmt.Sprint(foreign.att), "{xentry}", fmt.Sprint(foreign.entry),
					"{xcand}", fmt.Sprint(foreign.cand), "{satt}", fmt.Sprint(sibling.att), "{sentry}", fmt.Sprint(sibling.entry),
					"{scand}", fmt.Sprint(sibling.cand)).Replace(rt.path)
				b := f.browsers[who.name]
				var p page
				if rt.method == "GET" {
					p = b.get(path)
				} else {
					form := url.Values{"version": {fmt.Sprint(r.Version)}}
					for k, v := range rt.form {
						form[k] = v
					}
					p = b.post(path, form)
				}
				if got, want := p.Status, who.status(rt.want); got != want {
					t.Fatalf("status=%d, want %d", got, want)
				}
				switch {
				case p.Status == login && who.name == "anonymous":
					if !strings.HasPrefix(p.Location, "/login") {
						t.Fatalf("redirect to %q, want the login page", p.Location)
					}
				case p.Status == see:
					if want := "/triage/reports/" + r.Ref() + "?done="; !strings.HasPrefix(p.Location, want) {
						t.Fatalf("redirect to %q, want %s…", p.Location, want)
					}
				}
				if rt.listed && p.Status == ok {
					seen := strings.Contains(p.Body, r.Ref()+"<") || strings.Contains(p.Body, r.Ref()+",") || strings.Contains(p.Body, r.Ref()+`"`)
					mayRead := who.name != "triager-outsider" && who.name != "viewer-outsider"
					if seen != mayRead {
						t.Fatalf("report listed=%v, want %v", seen, mayRead)
					}
				}
				if p.Status == notFound && strings.Contains(p.Body, r.Title) {
					t.Fatal("a 404 page shows the report")
				}
				if p.Status == ok && (strings.Contains(rt.path, "{x") || strings.Contains(rt.path, "{s")) {
					t.Fatal("another report's sub-resource was served")
				}
			})
		}
	}
	// No refused request accepted another report's key for its reporter.
	for _, m := range []mailed{foreign, sibling} {
		if after, err := f.env.DB.ReportByID(context.Background(), m.r.ID); err != nil || after.Reporter.PGPFingerprint != "" {
			t.Errorf("%s: key saved through another report's URL (%v)", m.r.Ref(), err)
		}
	}
}

// TestTriageOtherProgramIsNotFound: asking for a report of a program the
// user is not in answers exactly like asking for one that does not exist.
func TestTriageOtherProgramIsNotFound(t *testing.T) {
	f := newTriageFixture(t)
	r := f.newReport(t, f.other.ID, "Secret of the other program")
	b := f.browsers["triager-member"]
	hidden := b.get("/triage/reports/" + r.Ref())
	missing := b.get("/triage/reports/OTH-999")
	if hidden.Status != http.StatusNotFound || missing.Status != http.StatusNotFound {
		t.Fatalf("statuses %d and %d, want 404 and 404", hidden.Status, missing.Status)
	}
	if strings.Contains(hidden.Body, r.Title) {
		t.Fatal("the 404 shows the report's title")
	}
	if p := b.get("/triage/export.json?state=all&program=other"); p.Status != http.StatusNotFound || strings.Contains(p.Body, r.Ref()) {
		t.Fatalf("export of another program: status %d, want 404", p.Status)
	}
	if p := b.get("/triage/export.json?state=all"); p.Status != http.StatusOK || strings.Contains(p.Body, r.Ref()) {
		t.Fatalf("export of all: status %d, listed=%v; want 200 without the other program's report", p.Status, strings.Contains(p.Body, r.Ref()))
	}
	if p := b.get("/triage?program=other"); p.Status != http.StatusUnprocessableEntity || strings.Contains(p.Body, r.Ref()) {
		t.Fatalf("queue of another program: status %d, listed=%v; want 422 and not listed", p.Status, strings.Contains(p.Body, r.Ref()))
	}
}

// TestTriageCSRF: an action without the form's token is refused and changes
// nothing.
func TestTriageCSRF(t *testing.T) {
	f := newTriageFixture(t)
	r := f.newReport(t, f.own.ID, "CSRF target")
	b := f.browsers["triager-member"]
	p := b.post("/triage/reports/"+r.Ref()+"/reply", url.Values{"csrf": {"forged-token-forged-token-forged-token-abcd"},
		"version": {fmt.Sprint(r.Version)}, "body": {"forged reply"}})
	if got, want := p.Status, http.StatusForbidden; got != want {
		t.Fatalf("status=%d, want %d", got, want)
	}
	tl, _ := f.env.DB.Timeline(context.Background(), r.ID, false)
	for _, m := range tl {
		if m.Body == "forged reply" {
			t.Fatal("a forged reply was stored")
		}
	}
}
