package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/handlers"
)

// apiFixture is a portal with a triager of the default program, a report
// there (with an attachment) and one of another program.
type apiFixture struct {
	*portal
	own, other     *db.Program
	triager        *db.User
	report, foreig *db.Report
	att            int64
}

func newAPIFixture(t *testing.T, opts ...portalOption) *apiFixture {
	t.Helper()
	ctx := context.Background()
	p := newPortal(t, opts...)
	own, err := p.DB.DefaultProgram(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pr := db.NewProgramDefaults()
	pr.Name, pr.Slug, pr.Prefix, pr.Email = "Other", "other", "OTH", "security@other.example"
	other, err := p.DB.SaveProgram(ctx, pr, nil, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	f := &apiFixture{portal: p, own: own, other: other}
	f.triager = p.mustUser(t, "tina@example.org", db.RoleTriager, own.ID)
	f.report = f.newReport(t, own, "Stored XSS in the profile", db.NewAttachment{Filename: "poc.html", ContentType: "text/html", Data: []byte("<script>1</script>")})
	f.foreig = f.newReport(t, other, "Foreign report")
	tl, err := p.DB.Timeline(ctx, f.report.ID, false)
	if err != nil || len(tl) == 0 || len(tl[0].Attachments) != 1 {
		t.Fatalf("timeline: %v", err)
	}
	f.att = tl[0].Attachments[0].ID
	return f
}

func (f *apiFixture) newReport(t testing.TB, p *db.Program, title string, files ...db.NewAttachment) *db.Report {
	t.Helper()
	ctx := context.Background()
	rc, err := f.DB.CreateReport(ctx, &db.NewReport{ProgramID: p.ID, Source: db.SourceWeb, Title: title,
		Description: "The name is rendered without escaping.", Reporter: db.Reporter{Email: "rita@example.net", Credit: db.CreditAnonymous}, Attachments: files})
	if err != nil {
		t.Fatal(err)
	}
	r, err := f.DB.ReportByID(ctx, rc.ReportID)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// token makes a token of u.
func (f *apiFixture) token(t testing.TB, u *db.User, scope db.APIScope, org string) (string, *db.APIToken) {
	t.Helper()
	tok, secret, err := f.DB.CreateAPIToken(context.Background(), u.ID, db.NewAPIToken{Name: "script " + string(scope), Scope: scope, OrgSlug: org}, u.Actor("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	return secret, tok
}

type apiReportDoc struct {
	Ref      string `json:"ref"`
	Version  int64  `json:"version"`
	State    string `json:"state"`
	Asset    *string
	CWE      *string `json:"cwe"`
	Assignee *struct {
		ID int64 `json:"id"`
	} `json:"assignee"`
	Timeline []struct {
		Kind        string `json:"kind"`
		Public      bool   `json:"public"`
		Body        string `json:"body"`
		Attachments []struct {
			ID int64 `json:"id"`
		} `json:"attachments"`
	} `json:"timeline"`
}

// TestAPIWorkflow is what a triager's script does: list the queue, read a
// report, change it under If-Match, reply, note, download, create.
func TestAPIWorkflow(t *testing.T) {
	f := newAPIFixture(t)
	secret, _ := f.token(t, f.triager, db.ScopeWrite, "")
	c := f.api(t, secret)

	var q struct {
		Reports []struct {
			Ref string `json:"ref"`
		} `json:"reports"`
		NextCursor *string `json:"next_cursor"`
	}
	a := c.get("/api/v1/reports?state=all")
	if a.Status != http.StatusOK {
		t.Fatalf("queue: %d %s", a.Status, a.Body)
	}
	a.decode(t, &q)
	if len(q.Reports) != 1 || q.Reports[0].Ref != f.report.Ref() || q.NextCursor != nil {
		t.Fatalf("queue lists %+v, want only %s", q.Reports, f.report.Ref())
	}
	if a := c.get("/api/v1/reports?program=other"); a.Status != http.StatusUnprocessableEntity || a.problem(t)["errors"] == nil {
		t.Fatalf("another program's queue: %d %s", a.Status, a.Body)
	}

	path := "/api/v1/reports/" + f.report.Ref()
	a = c.get(path)
	var r apiReportDoc
	a.decode(t, &r)
	if a.Status != http.StatusOK || r.Ref != f.report.Ref() || a.Header.Get("ETag") != fmt.Sprintf(`"%d"`, r.Version) {
		t.Fatalf("report: %d etag %q %+v", a.Status, a.Header.Get("ETag"), r)
	}
	if len(r.Timeline) == 0 || len(r.Timeline[0].Attachments) != 1 || r.Timeline[0].Attachments[0].ID != f.att {
		t.Fatalf("timeline without the attachment: %s", a.Body)
	}
	etag := a.Header.Get("ETag")

	// No version at all: 428; the right one: 200 with a new ETag; the old
	// one again: 412; a stale version in the body: 409.
	if a := c.send(http.MethodPost, path+"/state", map[string]any{"to": "triaged"}); a.Status != http.StatusPreconditionRequired {
		t.Fatalf("no version: %d %s", a.Status, a.Body)
	}
	a = c.send(http.MethodPost, path+"/state", map[string]any{"to": "triaged"}, "If-Match", etag)
	a.decode(t, &r)
	if a.Status != http.StatusOK || r.State != "triaged" || a.Header.Get("ETag") == etag {
		t.Fatalf("state: %d %s", a.Status, a.Body)
	}
	if a := c.send(http.MethodPost, path+"/assignee", map[string]any{"assignee": f.triager.ID}, "If-Match", etag); a.Status != http.StatusPreconditionFailed {
		t.Fatalf("stale If-Match: %d %s", a.Status, a.Body)
	}
	if a := c.send(http.MethodPost, path+"/assignee", map[string]any{"assignee": f.triager.ID, "version": r.Version - 1}); a.Status != http.StatusConflict {
		t.Fatalf("stale version: %d %s", a.Status, a.Body)
	}
	a = c.send(http.MethodPost, path+"/assignee", map[string]any{"assignee": f.triager.ID, "version": r.Version})
	a.decode(t, &r)
	if a.Status != http.StatusOK || r.Assignee == nil || r.Assignee.ID != f.triager.ID {
		t.Fatalf("assign: %d %s", a.Status, a.Body)
	}
	// A partial classification keeps what it does not name.
	a = c.send(http.MethodPost, path+"/classification", map[string]any{"asset": "app.example.org", "version": r.Version})
	a.decode(t, &r)
	if a.Status != http.StatusOK || r.Asset == nil || *r.Asset != "app.example.org" {
		t.Fatalf("classification: %d %s", a.Status, a.Body)
	}
	a = c.send(http.MethodPost, path+"/classification", map[string]any{"cwe": "CWE-79", "version": r.Version})
	a.decode(t, &r)
	if a.Status != http.StatusOK || r.Asset == nil || *r.Asset != "app.example.org" || r.CWE == nil || *r.CWE != "CWE-79" {
		t.Fatalf("second classification lost the asset: %d %s", a.Status, a.Body)
	}
	if a := c.send(http.MethodPost, path+"/classification", map[string]any{"cvss": "CVSS:9", "version": r.Version}); a.Status != http.StatusUnprocessableEntity || a.problem(t)["errors"].(map[string]any)["cvss"] == nil {
		t.Fatalf("bad vector: %d %s", a.Status, a.Body)
	}
	a = c.send(http.MethodPost, path+"/replies", map[string]any{"body": "Thanks, reproduced.", "version": r.Version})
	a.decode(t, &r)
	if a.Status != http.StatusOK {
		t.Fatalf("reply: %d %s", a.Status, a.Body)
	}
	a = c.send(http.MethodPost, path+"/notes", map[string]any{"body": "Internal: affects v2 only."}, "If-Match", a.Header.Get("ETag"))
	a.decode(t, &r)
	if a.Status != http.StatusOK {
		t.Fatalf("note: %d %s", a.Status, a.Body)
	}
	var reply, note bool
	for _, e := range r.Timeline {
		reply = reply || e.Kind == "reply" && e.Public && e.Body == "Thanks, reproduced."
		note = note || e.Kind == "note" && !e.Public && e.Body == "Internal: affects v2 only."
	}
	if !reply || !note {
		t.Fatalf("timeline lacks the reply or the note: %s", a.Body)
	}
	a = c.get(fmt.Sprintf("%s/attachments/%d", path, f.att))
	if a.Status != http.StatusOK || string(a.Body) != "<script>1</script>" || !strings.HasPrefix(a.Header.Get("Content-Disposition"), "attachment") ||
		a.Header.Get("Content-Type") != "application/octet-stream" {
		t.Fatalf("attachment: %d %q %v", a.Status, a.Body, a.Header)
	}
	// Malformed bodies: not JSON, unknown field, wrong type, wrong type.
	for _, body := range []string{"{", `{"to":"triaged","version":1,"extra":1}`, `{"to":5}`} {
		if a := c.send(http.MethodPost, path+"/state", body); a.Status != http.StatusBadRequest {
			t.Errorf("body %s: %d %s", body, a.Status, a.Body)
		}
	}
	if a := c.do(http.MethodPost, path+"/state", []byte("to=triaged"), "Content-Type", "application/x-www-form-urlencoded"); a.Status != http.StatusUnsupportedMediaType {
		t.Errorf("a form body: %d %s", a.Status, a.Body)
	}

	// Create: in the own program, not in another.
	a = c.send(http.MethodPost, "/api/v1/reports", map[string]any{"program": f.own.Slug, "title": "Phoned in", "description": "SQL injection in search.",
		"reporter": map[string]any{"email": "caller@example.net"}})
	var created struct {
		Ref, ReceiptCode string
	}
	a.decode(t, &created)
	if a.Status != http.StatusCreated || a.Header.Get("Location") != "/api/v1/reports/"+created.Ref {
		t.Fatalf("create: %d %s", a.Status, a.Body)
	}
	if a := c.send(http.MethodPost, "/api/v1/reports", map[string]any{"program": "other", "title": "x", "description": "y"}); a.Status != http.StatusUnprocessableEntity {
		t.Fatalf("create in another program: %d %s", a.Status, a.Body)
	}
	entries, err := f.DB.ListAudit(context.Background(), db.AuditFilter{Action: "report.", Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	var viaToken int
	for _, e := range entries.Entries {
		if strings.Contains(e.Actor, "(API token ") && e.ActorID == f.triager.ID {
			viaToken++
		}
	}
	if viaToken < 6 { // state, assign, 2 fields, reply, note, create
		t.Errorf("%d audit rows name the token, want every change", viaToken)
	}
}

// TestAPICursor walks the queue page by page with the cursor, and refuses
// a cursor with another filter.
func TestAPICursor(t *testing.T) {
	f := newAPIFixture(t)
	for i := range db.QueuePageSize + 3 {
		f.newReport(t, f.own, fmt.Sprintf("Report %d", i))
	}
	secret, _ := f.token(t, f.triager, db.ScopeRead, "")
	c := f.api(t, secret)
	seen := map[string]bool{}
	next := ""
	for pages := 0; ; pages++ {
		if pages > 3 {
			t.Fatal("the cursor does not end")
		}
		path := "/api/v1/reports?state=all"
		if next != "" {
			path += "&cursor=" + next
		}
		var q struct {
			Reports []struct {
				Ref string `json:"ref"`
			} `json:"reports"`
			NextCursor *string `json:"next_cursor"`
		}
		a := c.get(path)
		a.decode(t, &q)
		for _, r := range q.Reports {
			if seen[r.Ref] {
				t.Fatalf("%s listed twice", r.Ref)
			}
			seen[r.Ref] = true
		}
		if q.NextCursor == nil {
			break
		}
		next = *q.NextCursor
		if a := c.get("/api/v1/reports?state=open&cursor=" + next); a.Status != http.StatusUnprocessableEntity {
			t.Fatalf("a cursor of another filter: %d", a.Status)
		}
	}
	if len(seen) != db.QueuePageSize+4 {
		t.Fatalf("%d reports walked, want %d", len(seen), db.QueuePageSize+4)
	}
	if a := c.get("/api/v1/reports?page=2"); a.Status != http.StatusUnprocessableEntity {
		t.Fatalf("an unknown parameter: %d", a.Status)
	}
}

// TestAPIRightsAreTheUsersNow: a token's rights follow its user at each
// request: a membership removed hides the program's reports at once, a
// disabled account ends the token, and enabling it again does not bring
// the token back.
func TestAPIRightsAreTheUsersNow(t *testing.T) {
	f := newAPIFixture(t)
	ctx := context.Background()
	secret, _ := f.token(t, f.triager, db.ScopeWrite, "")
	c := f.api(t, secret)
	path := "/api/v1/reports/" + f.report.Ref()
	if a := c.get(path); a.Status != http.StatusOK {
		t.Fatalf("before: %d", a.Status)
	}
	admin := f.mustUser(t, "ada@example.org", db.RoleAdmin)
	if err := f.DB.UpdateUser(ctx, f.triager.ID, f.triager.Name, db.RoleTriager, []int64{f.other.ID}, admin.Actor("127.0.0.1")); err != nil {
		t.Fatal(err)
	}
	if a := c.get(path); a.Status != http.StatusNotFound {
		t.Fatalf("after the membership moved: %d, want 404", a.Status)
	}
	if a := c.get("/api/v1/reports/" + f.foreig.Ref()); a.Status != http.StatusOK {
		t.Fatalf("the new program's report: %d", a.Status)
	}
	if err := f.DB.UpdateUser(ctx, f.triager.ID, f.triager.Name, db.RoleViewer, []int64{f.other.ID}, admin.Actor("127.0.0.1")); err != nil {
		t.Fatal(err)
	}
	if a := c.send(http.MethodPost, "/api/v1/reports/"+f.foreig.Ref()+"/notes", map[string]any{"body": "x", "version": 1}); a.Status != http.StatusForbidden {
		t.Fatalf("a viewer's write-scope token wrote: %d", a.Status)
	}
	if err := f.DB.SetUserDisabled(ctx, f.triager.ID, true, admin.Actor("127.0.0.1")); err != nil {
		t.Fatal(err)
	}
	if a := c.get("/api/v1/reports/" + f.foreig.Ref()); a.Status != http.StatusUnauthorized || a.problem(t)["code"] != "unauthorized" {
		t.Fatalf("a disabled user's token: %d", a.Status)
	}
	if err := f.DB.SetUserDisabled(ctx, f.triager.ID, false, admin.Actor("127.0.0.1")); err != nil {
		t.Fatal(err)
	}
	if a := c.get("/api/v1/reports/" + f.foreig.Ref()); a.Status != http.StatusUnauthorized {
		t.Fatalf("the token came back with the account: %d", a.Status)
	}
}

// TestAPIScopeAndOrgLimit: a token never reaches more than its scope, its
// organisation limit or its user.
func TestAPIScopeAndOrgLimit(t *testing.T) {
	f := newAPIFixture(t)
	ctx := context.Background()
	admin := f.mustUser(t, "ada@example.org", db.RoleAdmin)
	viewer := f.mustUser(t, "vic@example.org", db.RoleViewer, f.own.ID)
	o, err := f.DB.CreateOrg(ctx, &db.NewOrg{Slug: "client", Name: "Client", ParentSlug: "default"}, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.DB.Update(ctx, func(ctx context.Context, tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE programs SET org_id = ? WHERE id = ?`, o.ID, f.other.ID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.DB.SaveProgram(ctx, f.other, nil, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	own, foreign := "/api/v1/reports/"+f.report.Ref(), "/api/v1/reports/"+f.foreig.Ref()
	note := map[string]any{"body": "x", "version": 1}
	for _, tc := range []struct {
		name        string
		user        *db.User
		scope       db.APIScope
		org         string
		own, foreig int // GET status
		write       int // note on the own report
		audit       int
	}{
		{"admin, admin scope", admin, db.ScopeAdmin, "", 200, 200, 200, 200},
		{"admin, read scope", admin, db.ScopeRead, "", 200, 200, 403, 403},
		{"admin, write scope", admin, db.ScopeWrite, "", 200, 200, 200, 403},
		{"admin, admin scope, client only", admin, db.ScopeAdmin, "client", 404, 200, 404, 403},
		{"viewer, admin scope", viewer, db.ScopeAdmin, "", 200, 404, 403, 403},
		{"triager, read scope", f.triager, db.ScopeRead, "", 200, 404, 403, 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			secret, _ := f.token(t, tc.user, tc.scope, tc.org)
			c := f.api(t, secret)
			if a := c.get(own); a.Status != tc.own {
				t.Errorf("own report: %d, want %d", a.Status, tc.own)
			}
			if a := c.get(foreign); a.Status != tc.foreig {
				t.Errorf("other program's report: %d, want %d", a.Status, tc.foreig)
			}
			r, _ := f.DB.ReportByID(ctx, f.report.ID)
			note["version"] = r.Version
			if a := c.send(http.MethodPost, own+"/notes", note); a.Status != tc.write {
				t.Errorf("note: %d, want %d", a.Status, tc.write)
			}
			if a := c.get("/api/v1/audit"); a.Status != tc.audit {
				t.Errorf("audit: %d, want %d", a.Status, tc.audit)
			}
		})
	}
	// An organisation limit the user cannot see is refused at creation.
	if _, _, err := f.DB.CreateAPIToken(ctx, viewer.ID, db.NewAPIToken{Name: "x", Scope: db.ScopeRead, OrgSlug: "client"}, db.ActorSystem); db.ErrorFields(err)["org"] == "" {
		t.Fatalf("a limit to an unseen organisation: %v", err)
	}
}

// TestAPIBearerOnly: the API reads no cookie and asks for no CSRF token;
// the pages read no bearer token; no CORS header is ever sent.
func TestAPIBearerOnly(t *testing.T) {
	f := newAPIFixture(t)
	secret, _ := f.token(t, f.triager, db.ScopeWrite, "")
	b := f.browser(t)
	b.mustLogin(f.triager.Email)
	sessionOnly := f.api(t, "")
	sessionOnly.header.Set("Cookie", "disclose_session="+b.cookie("disclose_session"))
	if a := sessionOnly.get("/api/v1/reports"); a.Status != http.StatusUnauthorized || a.Header.Get("WWW-Authenticate") == "" {
		t.Fatalf("a session cookie on the API: %d", a.Status)
	}
	// A page with only the bearer token is a stranger's.
	page := f.browser(t)
	page.header.Set("Authorization", "Bearer "+secret)
	if pg := page.get("/triage/reports/" + f.report.Ref()); pg.Status != http.StatusSeeOther || !strings.HasPrefix(pg.Location, "/login") {
		t.Fatalf("a page with a bearer token: %d %s", pg.Status, pg.Location)
	}
	// A cross-site script: its preflight gets no CORS grant, and a write
	// without a CSRF token works only because the token is the credential.
	c := f.api(t, secret)
	c.header.Set("Origin", "https://evil.example")
	a := c.do(http.MethodOptions, "/api/v1/reports", nil, "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "authorization")
	for k := range a.Header {
		if strings.HasPrefix(k, "Access-Control-") {
			t.Errorf("preflight answered %s: %v", k, a.Header[k])
		}
	}
	a = c.send(http.MethodPost, "/api/v1/reports/"+f.report.Ref()+"/notes", map[string]any{"body": "x", "version": f.report.Version}, "Sec-Fetch-Site", "cross-site")
	if a.Status != http.StatusOK || a.Header.Get("Access-Control-Allow-Origin") != "" || a.Header.Get("Set-Cookie") != "" {
		t.Fatalf("a bearer write: %d, CORS %q, cookie %q", a.Status, a.Header.Get("Access-Control-Allow-Origin"), a.Header.Get("Set-Cookie"))
	}
}

// TestAPITokenEnds: expired, revoked, unknown and malformed tokens are all
// one 401.
func TestAPITokenEnds(t *testing.T) {
	f := newAPIFixture(t)
	ctx := context.Background()
	tok, secret, err := f.DB.CreateAPIToken(ctx, f.triager.ID, db.NewAPIToken{Name: "short", Scope: db.ScopeRead, Expires: time.Hour}, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	c := f.api(t, secret)
	if a := c.get("/api/v1/programs"); a.Status != http.StatusOK {
		t.Fatalf("fresh: %d", a.Status)
	}
	f.clock.Advance(time.Hour)
	if a := c.get("/api/v1/programs"); a.Status != http.StatusUnauthorized {
		t.Fatalf("expired: %d", a.Status)
	}
	secret2, other := f.token(t, f.triager, db.ScopeRead, "")
	if err := f.DB.RevokeAPIToken(ctx, other.ID, f.triager.ID+1000, db.ActorSystem); db.ErrorCode(err) != db.ENOTFOUND {
		t.Fatalf("revoking another user's token: %v", err)
	}
	if err := f.DB.RevokeAPIToken(ctx, other.ID, f.triager.ID, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{secret2, secret2[:len(secret2)-1] + "A", "dsc_short", "", strings.Repeat("x", 5000)} {
		if a := f.api(t, s).get("/api/v1/programs"); a.Status != http.StatusUnauthorized {
			t.Errorf("token %.12q: %d", s, a.Status)
		}
	}
	_ = tok
}

// TestAPIUseAudited: reads are audited once per token per minute, and the
// token's last use is recorded.
func TestAPIUseAudited(t *testing.T) {
	f := newAPIFixture(t)
	ctx := context.Background()
	secret, tok := f.token(t, f.triager, db.ScopeRead, "")
	c := f.api(t, secret)
	uses := func() int {
		page, err := f.DB.ListAudit(ctx, db.AuditFilter{Action: "api.token.use", Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		return len(page.Entries)
	}
	for range 5 {
		c.get("/api/v1/programs")
	}
	if n := uses(); n != 1 {
		t.Fatalf("%d use rows after 5 reads in a minute, want 1", n)
	}
	f.clock.Advance(time.Minute)
	c.get("/api/v1/programs")
	if n := uses(); n != 2 {
		t.Fatalf("%d use rows a minute later, want 2", n)
	}
	list, err := f.DB.APITokens(ctx, f.triager.ID)
	if err != nil || len(list) != 1 || list[0].ID != tok.ID || !list[0].LastUsedAt.Equal(f.clock.Now().Truncate(time.Microsecond)) || list[0].LastUsedAddr != "127.0.0.1" {
		t.Fatalf("last use: %+v %v", list[0], err)
	}
}

// TestAPIRateLimitPerToken: each token has its own budget.
func TestAPIRateLimitPerToken(t *testing.T) {
	f := newAPIFixture(t, configure(func(c *handlers.Config) { c.APIRate = handlers.RateLimit{PerMinute: 1, Burst: 3} }))
	one, _ := f.token(t, f.triager, db.ScopeRead, "")
	two, _ := f.token(t, f.triager, db.ScopeRead, "")
	c := f.api(t, one)
	for i := range 3 {
		if a := c.get("/api/v1/programs"); a.Status != http.StatusOK {
			t.Fatalf("request %d: %d", i, a.Status)
		}
	}
	a := c.get("/api/v1/programs")
	if a.Status != http.StatusTooManyRequests || a.Header.Get("Retry-After") == "" || a.problem(t)["code"] != "rate_limited" {
		t.Fatalf("over the budget: %d %v", a.Status, a.Header)
	}
	if a := f.api(t, two).get("/api/v1/programs"); a.Status != http.StatusOK {
		t.Fatalf("another token: %d", a.Status)
	}
}

// TestAPIDirectoryAndAudit: organisations and programs list what the token
// sees; the audit log pages with its cursor; the document is served;
// unknown addresses and parameters are problems; no token reaches a log.
func TestAPIDirectoryAndAudit(t *testing.T) {
	f := newAPIFixture(t)
	admin := f.mustUser(t, "ada@example.org", db.RoleAdmin)
	tri, _ := f.token(t, f.triager, db.ScopeRead, "")
	adm, _ := f.token(t, admin, db.ScopeAdmin, "")
	var programs struct {
		Programs []struct{ Slug string } `json:"programs"`
	}
	f.api(t, tri).get("/api/v1/programs").decode(t, &programs)
	if len(programs.Programs) != 1 || programs.Programs[0].Slug != f.own.Slug {
		t.Fatalf("a member of one program sees %+v", programs.Programs)
	}
	f.api(t, adm).get("/api/v1/programs").decode(t, &programs)
	if len(programs.Programs) != 2 {
		t.Fatalf("a site admin sees %+v", programs.Programs)
	}
	var orgs struct {
		Organisations []struct{ Slug string } `json:"organisations"`
	}
	if a := f.api(t, tri).get("/api/v1/organisations"); a.Status != http.StatusOK {
		t.Fatalf("organisations: %d", a.Status)
	} else if a.decode(t, &orgs); len(orgs.Organisations) != 1 {
		t.Fatalf("organisations: %+v", orgs)
	}
	c := f.api(t, adm)
	var page struct {
		Entries []struct {
			Action string `json:"action"`
		} `json:"entries"`
		NextCursor *string `json:"next_cursor"`
	}
	a := c.get("/api/v1/audit?action=api.token.&limit=1")
	a.decode(t, &page)
	if a.Status != http.StatusOK || len(page.Entries) != 1 || page.NextCursor == nil {
		t.Fatalf("audit: %d %s", a.Status, a.Body)
	}
	a = c.get("/api/v1/audit?action=api.token.&limit=1&cursor=" + *page.NextCursor)
	if a.Status != http.StatusOK {
		t.Fatalf("audit, next page: %d", a.Status)
	}
	for _, bad := range []string{"?limit=0", "?from=yesterday", "?cursor=x", "?before=3"} {
		if a := c.get("/api/v1/audit" + bad); a.Status != http.StatusUnprocessableEntity || a.problem(t)["code"] != "invalid" {
			t.Errorf("audit%s: %d", bad, a.Status)
		}
	}
	if a := c.get("/api/v1/nothing-here"); a.Status != http.StatusNotFound || a.problem(t)["code"] != "not_found" {
		t.Fatalf("an unknown address: %d", a.Status)
	}
	if a := f.api(t, "").get("/api/v1/nothing-here"); a.Status != http.StatusUnauthorized || a.problem(t)["code"] != "unauthorized" {
		t.Fatalf("an unknown address without a token: %d", a.Status)
	}
	if a := f.api(t, "").get("/api/v1/openapi.json"); a.Status != http.StatusOK || !strings.Contains(string(a.Body), `"openapi": "3.1.0"`) {
		t.Fatalf("the document: %d", a.Status)
	}
	for _, s := range []string{tri, adm} {
		if strings.Contains(f.logs.String(), s) || strings.Contains(f.logs.String(), s[4:20]) {
			t.Fatal("a token is in the log")
		}
	}
}
