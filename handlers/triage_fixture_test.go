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
