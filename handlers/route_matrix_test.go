package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/handlers"
	"github.com/disclose/disclose/static"
	"github.com/labstack/echo/v4"
)

// The authorization matrices, one per kind of access: triageMatrix
// (reports by program membership, sub-resources of other reports),
// adminMatrix (admins only), accountMatrix (any signed-in user, on their
// own account only), reporterMatrix (a receipt-code session, on its own
// report only) and publicMatrix (anyone). TestEveryRouteInAMatrix fails
// when a route of the router is in none of them, so a new route cannot
// ship without the answer each subject must get. Rows are plain data
// (method, path with {placeholders}, expectations): the generated matrix
// that the route table will give later can replace these functions.

// reporterRoute is one row of the reporter matrix: {own} is a public
// attachment of the reporter's report, {internal} one of an internal note
// of it, {other} a public attachment of another report.
type reporterRoute struct {
	method, path   string
	reporter, anon int
}

func reporterMatrix() []reporterRoute {
	return []reporterRoute{
		{"GET", "/status/attachments/{own}", 200, 404},
		{"GET", "/status/attachments/{internal}", 404, 404},
		{"GET", "/status/attachments/{other}", 404, 404},
	}
}

// TestReporterAuthorization: a receipt code opens its own report's public
// attachments and nothing else.
func TestReporterAuthorization(t *testing.T) {
	ctx := context.Background()
	env := newPortal(t)
	file := []db.NewAttachment{{Filename: "poc.txt", ContentType: "text/plain", Data: []byte("poc")}}
	file2 := []db.NewAttachment{{Filename: "note.txt", ContentType: "text/plain", Data: []byte("internal")}}
	submit := func(title string) (*db.Report, string) {
		rc, err := env.DB.CreateReport(ctx, &db.NewReport{ProgramID: 1, Source: db.SourceWeb, Title: title, Description: "d",
			Reporter: db.Reporter{Credit: db.CreditAnonymous}, Attachments: file})
		if err != nil {
			t.Fatal(err)
		}
		r, err := env.DB.ReportByID(ctx, rc.ReportID)
		if err != nil {
			t.Fatal(err)
		}
		return r, rc.Code
	}
	mine, code := submit("Mine")
	other, _ := submit("Someone else's")
	if err := env.DB.AddNote(ctx, mine.ID, mine.Version, db.ActorSystem, "internal", file2, db.DefaultLimits); err != nil {
		t.Fatal(err)
	}
	atts := func(r *db.Report) []int64 {
		tl, err := env.DB.Timeline(ctx, r.ID, false)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, m := range tl {
			for _, a := range m.Attachments {
				ids = append(ids, a.ID)
			}
		}
		return ids
	}
	ownAtts, otherAtts := atts(mine), atts(other)
	if len(ownAtts) != 2 || len(otherAtts) != 1 {
		t.Fatalf("attachments %v and %v", ownAtts, otherAtts)
	}
	fill := strings.NewReplacer("{own}", itoa(ownAtts[0]), "{internal}", itoa(ownAtts[1]), "{other}", itoa(otherAtts[0]))
	reporter, anon := env.browser(t), env.browser(t)
	reporter.get("/status")
	if p := reporter.post("/status", url.Values{"code": {code}}); p.Status != http.StatusSeeOther {
		t.Fatalf("receipt code: %d", p.Status)
	}
	for _, r := range reporterMatrix() {
		for who, want := range map[string]int{"reporter": r.reporter, "anonymous": r.anon} {
			t.Run(who+" "+r.method+" "+r.path, func(t *testing.T) {
				b := map[string]*browser{"reporter": reporter, "anonymous": anon}[who]
				if p := b.get(fill.Replace(r.path)); p.Status != want {
					t.Fatalf("status %d, want %d", p.Status, want)
				}
			})
		}
	}
}

// publicRoute is one row of the public matrix: what anyone gets without a
// session (a harmless request).
type publicRoute struct {
	method, path string
	form         url.Values
	anon         int
}

func publicMatrix() []publicRoute {
	return []publicRoute{
		{"GET", "/", nil, 200},
		{"GET", "/policy", nil, 200},
		{"GET", "/policy/{slug}", nil, 200},
		{"GET", "/report", nil, 200},
		{"POST", "/report", url.Values{"title": {""}}, 422},
		{"GET", "/status", nil, 200},
		{"POST", "/status", url.Values{"code": {"AAAA-BBBB"}}, 401},
		{"POST", "/status/reply", url.Values{"body": {"hello"}}, 401},
		{"POST", "/status/forget", nil, 303},
		{"GET", "/login", nil, 200},
		{"POST", "/login", url.Values{"email": {"nobody@example.org"}, "password": {"wrong password"}}, 401},
		{"GET", "/login/code", nil, 303},
		{"POST", "/login/code", url.Values{"code": {"000000"}}, 401},
		{"POST", "/logout", nil, 303},
		{"GET", "/setup/{token}", nil, 404},
		{"POST", "/setup/{token}", url.Values{"password": {"a long enough password"}}, 404},
		{"GET", "/.well-known/security.txt", nil, 200},
		{"GET", "/security.txt", nil, 200},
		{"GET", "/pgp-key.asc", nil, 404}, // no team key here
		{"GET", "/.well-known/openpgpkey/policy", nil, 404},
		{"GET", "/.well-known/openpgpkey/hu/{hash}", nil, 404},
		{"GET", "/healthz", nil, 200},
		{"GET", "/metrics", nil, 401},
		{"GET", "/static/{asset}", nil, 200},
	}
}

// TestPublicRoutes: the public routes answer anyone, and the staff-only
// answers (sign in, role) never appear among them.
func TestPublicRoutes(t *testing.T) {
	env := newPortal(t)
	env.mustUser(t, "admin@example.org", db.RoleAdmin)
	def, err := env.DB.DefaultProgram(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	fill := strings.NewReplacer("{token}", strings.Repeat("A", 43), "{hash}", "iy9q119eutrkn8s1mk4r39qejnbu3n5q", "{slug}", def.Slug,
		"/static/{asset}", static.URL("style.css"))
	for _, r := range publicMatrix() {
		t.Run(r.method+" "+r.path, func(t *testing.T) {
			b := env.browser(t)
			b.get("/login")
			var p page
			if r.method == "GET" {
				p = b.get(fill.Replace(r.path))
			} else {
				p = b.post(fill.Replace(r.path), r.form)
			}
			if p.Status != r.anon {
				t.Fatalf("status %d, want %d", p.Status, r.anon)
			}
			if p.Status == http.StatusSeeOther && strings.HasPrefix(p.Location, "/login?next=") {
				t.Fatal("a public route sent to sign in")
			}
		})
	}
}

var placeholderRE = regexp.MustCompile(`\{[a-z]+\}`)

// TestEveryRouteInAMatrix walks the router: every route must be in one of
// the matrices above (or triageMatrix, adminMatrix), and every matrix row
// must reach a route.
func TestEveryRouteInAMatrix(t *testing.T) {
	s := newPortal(t).Handler
	e := handlers.EchoOf(s)
	var rows [][2]string
	for _, r := range triageMatrix() {
		rows = append(rows, [2]string{r.method, r.path})
	}
	for _, r := range adminMatrix() {
		rows = append(rows, [2]string{r.method, r.path})
	}
	for _, r := range accountMatrix() {
		rows = append(rows, [2]string{r.method, r.path})
	}
	for _, r := range reporterMatrix() {
		rows = append(rows, [2]string{r.method, r.path})
	}
	for _, r := range publicMatrix() {
		rows = append(rows, [2]string{r.method, r.path})
	}
	covered := map[string]bool{}
	for _, row := range rows {
		path, _, _ := strings.Cut(placeholderRE.ReplaceAllString(row[1], "1"), "?")
		c := e.NewContext(nil, nil)
		e.Router().Find(row[0], path, c)
		if c.Path() == "" || c.Path() == "/*" {
			t.Errorf("matrix row %s %s reaches no route", row[0], row[1])
			continue
		}
		covered[row[0]+" "+c.Path()] = true
	}
	for _, r := range e.Routes() {
		if r.Method == echo.RouteNotFound {
			continue
		}
		if !covered[r.Method+" "+r.Path] {
			t.Errorf("route %s %s is in no authorization matrix: add a row saying what each subject gets", r.Method, r.Path)
		}
	}
}
