package handlers_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
)

// adminRoute is one row of the admin matrix; {user} is filled with a
// viewer's id and {mail} with a kept mail's.
type adminRoute struct{ method, path string }

// adminMatrix is every admin route: only admins get through.
func adminMatrix() []adminRoute {
	return []adminRoute{
		{"GET", "/admin"},
		{"GET", "/admin/users"},
		{"POST", "/admin/users"},
		{"GET", "/admin/users/{user}"},
		{"POST", "/admin/users/{user}"},
		{"POST", "/admin/users/{user}/disable"},
		{"POST", "/admin/users/{user}/enable"},
		{"POST", "/admin/users/{user}/reset-password"},
		{"POST", "/admin/users/{user}/reset-2fa"},
		{"GET", "/admin/programs"},
		{"GET", "/admin/programs/new"},
		{"POST", "/admin/programs"},
		{"GET", "/admin/programs/1"},
		{"POST", "/admin/programs/1"},
		{"GET", "/admin/audit"},
		{"GET", "/admin/settings"},
		{"POST", "/admin/settings"},
		{"GET", "/admin/intake"},
		{"GET", "/admin/intake/mail/{mail}"},
		{"GET", "/admin/key"},
		{"POST", "/admin/key/unlock"},
		{"POST", "/admin/key/lock"},
		{"GET", "/admin/retention"},
		{"POST", "/admin/retention/hold"},
		{"POST", "/admin/retention/release"},
		{"POST", "/admin/retention/1"},
		{"GET", "/admin/outbox"},
		{"GET", "/admin/outbox/1"},
		{"POST", "/admin/outbox/1/retry"},
		{"GET", "/admin/programs/1/webhooks"},
		{"POST", "/admin/programs/1/webhooks"},
		{"POST", "/admin/webhooks/1"},
		{"POST", "/admin/webhooks/1/delete"},
		{"POST", "/admin/webhooks/1/deliveries/1/retry"},
	}
}

// TestAdminAuthorization runs the admin matrix against every role (and no
// session).
func TestAdminAuthorization(t *testing.T) {
	env := newPortal(t)
	env.mustUser(t, "admin@example.org", db.RoleAdmin)
	env.mustUser(t, "tri@example.org", db.RoleTriager, 1)
	env.mustUser(t, "view@example.org", db.RoleViewer, 1)
	target := env.mustUser(t, "target@example.org", db.RoleViewer)
	fill := strings.NewReplacer("{user}", itoa(target.ID), "{mail}", itoa(keptMail(t, env)))
	browsers := env.roleBrowsers(t)
	for _, r := range adminMatrix() {
		path := fill.Replace(r.path)
		for who, b := range browsers {
			t.Run(who+" "+r.method+" "+r.path, func(t *testing.T) {
				var p page
				if r.method == "GET" {
					p = b.get(path)
				} else {
					// A harmless body: the admin's requests must not change
					// the other subjects (they only prove the door is open).
					p = b.post(path, url.Values{"email": {"m-" + who + "@example.org"}, "role": {"viewer"}, "name": {"Matrix"},
						"slug": {"m-" + who}, "prefix": {"SEC"}})
				}
				if who == "admin" {
					if p.Status == http.StatusUnauthorized || p.Status == http.StatusForbidden || p.Status >= 500 ||
						strings.HasPrefix(p.Location, "/login") {
						t.Fatalf("admin: status %d %s", p.Status, p.Location)
					}
					return
				}
				if want := refusedStatus(who, r.method); p.Status != want {
					t.Fatalf("status %d, want %d", p.Status, want)
				}
			})
		}
	}
	// Nothing the refused requests sent was applied.
	u, err := env.DB.UserByID(context.Background(), target.ID)
	if err != nil || u.Name != "Matrix" && u.Name != "" {
		t.Fatalf("target: %+v %v", u, err)
	}
	for _, who := range []string{"tri", "view", "anonymous"} {
		if _, err := env.DB.UserByEmail(context.Background(), "m-"+who+"@example.org"); db.ErrorCode(err) != db.ENOTFOUND {
			t.Fatalf("a refused %s request created a user", who)
		}
	}
}

// keptMail stores an auto-reply, which intake keeps without a report, and
// returns its id for /admin/intake/mail/:id.
func keptMail(t *testing.T, env *portal) int64 {
	t.Helper()
	ctx := context.Background()
	raw := "From: bob@example.net\r\nSubject: Out of office\r\nAuto-Submitted: auto-replied\r\n\r\naway\r\n"
	sum := sha256.Sum256([]byte(raw))
	if _, err := env.DB.IngestMail(ctx, &db.InboundMail{Mailbox: "INBOX", UIDValidity: 1, UID: 1,
		OpenRaw: func() io.Reader { return strings.NewReader(raw) }, RawSize: int64(len(raw)), RawSHA256: hex.EncodeToString(sum[:]),
		FromEmail: "bob@example.net", Subject: "Out of office", Auto: "Auto-Submitted: auto-replied"}, db.IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	kept, err := env.DB.KeptMail(ctx, 10)
	if err != nil || len(kept) != 1 {
		t.Fatalf("kept = %v, %v", kept, err)
	}
	return kept[0].ID
}

func TestLoginLockout(t *testing.T) {
	env := newPortal(t)
	env.mustUser(t, "admin@example.org", db.RoleAdmin)
	env.DB.Auth.MaxAccountFailures = 3
	b := env.browser(t)
	for i := 0; i < 3; i++ {
		if p := b.login("admin@example.org", "wrong password!!"); p.Status != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d, want 401", i+1, p.Status)
		}
	}
	p := b.login("admin@example.org", testPassword)
	if p.Status != http.StatusTooManyRequests || !strings.Contains(p.Body, "Too many failed sign-ins") || p.Header.Get("Retry-After") == "" {
		t.Fatalf("right password while locked: %d, want 429 with Retry-After", p.Status)
	}
	rows, _ := env.DB.ListAudit(context.Background(), db.AuditFilter{Action: "login."})
	var actions []string
	for _, e := range rows.Entries {
		actions = append(actions, e.Action)
	}
	if got, want := strings.Join(actions, ","), "login.refused,login.lockout,login.failed,login.failed,login.failed"; got != want {
		t.Fatalf("audit %q, want %q", got, want)
	}
	env.clock.Advance(env.DB.Auth.Lockout)
	if p := b.login("admin@example.org", testPassword); p.Status != http.StatusSeeOther {
		t.Fatalf("after the lockout: %d, want 303", p.Status)
	}
}

func TestAdminPrograms(t *testing.T) {
	env := newPortal(t)
	env.mustUser(t, "admin@example.org", db.RoleAdmin)
	tri := env.mustUser(t, "tri@example.org", db.RoleTriager)
	admin := env.browser(t)
	admin.mustLogin("admin@example.org")
	admin.get("/admin/programs/new")
	form := url.Values{"name": {"Acme web"}, "slug": {"acme-web"}, "prefix": {"acme"}, "email": {"security@acme.example"},
		"scope": {"www.acme.example\r\napi.acme.example\r\n"}, "policy": {"# Acme\n\nBe nice."},
		"first_response_days": {"2"}, "triage_days": {"5"}, "resolve_critical_days": {"7"}, "resolve_high_days": {"30"},
		"resolve_medium_days": {"90"}, "resolve_low_days": {"180"}, "disclosure_days": {"90"}, "member": {itoa(tri.ID)}}
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("prefix", "SEC")
	bad.Set("triage_days", "soon")
	p := admin.post("/admin/programs", bad)
	if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, "Enter a whole number of days.") || !strings.Contains(p.Body, `value="acme-web"`) {
		t.Fatalf("invalid program: %d", p.Status)
	}
	if p = admin.post("/admin/programs", bad); !strings.Contains(p.Body, "Enter a whole number of days.") {
		t.Fatal("error lost on resend")
	}
	bad.Set("triage_days", "5")
	if p = admin.post("/admin/programs", bad); p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, "Another program uses this prefix.") {
		t.Fatalf("duplicate prefix: %d", p.Status)
	}
	p = admin.post("/admin/programs", form)
	if p.Status != http.StatusSeeOther {
		t.Fatalf("create program: %d", p.Status)
	}
	ctx := context.Background()
	prog, err := env.DB.ProgramBySlug(ctx, "acme-web")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := prog.Prefix+"|"+strings.Join(prog.Assets(), ",")+"|"+itoa(int64(prog.TriageDays)), "ACME|www.acme.example,api.acme.example|5"; got != want {
		t.Fatalf("program %q, want %q", got, want)
	}
	u, _ := env.DB.UserByID(ctx, tri.ID)
	if len(u.ProgramIDs) != 1 || u.ProgramIDs[0] != prog.ID {
		t.Fatalf("triager memberships %v, want [%d]", u.ProgramIDs, prog.ID)
	}
	// Edit it.
	admin.get(p.Location)
	form.Set("name", "Acme shop")
	form.Del("member")
	if p = admin.post("/admin/programs/"+itoa(prog.ID), form); p.Status != http.StatusOK || !strings.Contains(p.Body, "Saved.") {
		t.Fatalf("edit program: %d", p.Status)
	}
	if u, _ = env.DB.UserByID(ctx, tri.ID); len(u.ProgramIDs) != 0 {
		t.Fatalf("member not removed: %v", u.ProgramIDs)
	}
	// The public form now offers a choice of programs, and files a report
	// under the new program's prefix.
	pub := env.browser(t)
	p = pub.get("/report?program=acme-web")
	if !strings.Contains(p.Body, `<select aria-describedby="h-program" id="f-program" name="program">`) || !strings.Contains(p.Body, "Acme shop") || !strings.Contains(p.Body, "api.acme.example") {
		t.Fatal("the public form does not offer the new program and its scope")
	}
	key := regexpFind(`name="key" value="([0-9a-f]+)"`, p.Body)
	p = pub.post("/report", url.Values{"program": {"acme-web"}, "key": {key}, "title": {"XSS in search"}, "asset": {"api.acme.example"},
		"description": {"The search box reflects input without escaping it."}, "credit": {"anonymous"}})
	if p.Status != http.StatusOK || !strings.Contains(p.Body, "ACME-1") {
		t.Fatalf("report to the new program: %d", p.Status)
	}
	rows, _ := env.DB.ListAudit(ctx, db.AuditFilter{Action: "program."})
	if len(rows.Entries) < 2 || rows.Entries[0].Action != "program.edit" || rows.Entries[1].Action != "program.create" {
		t.Fatalf("program audit rows: %+v", rows.Entries)
	}
}

func TestAdminAudit(t *testing.T) {
	env := newPortal(t)
	env.mustUser(t, "admin@example.org", db.RoleAdmin)
	for i := 0; i < 120; i++ {
		env.mustUser(t, "u"+itoa(int64(i))+"@example.org", db.RoleViewer)
	}
	admin := env.browser(t)
	admin.mustLogin("admin@example.org")
	p := admin.get("/admin/audit?action=user.create")
	if got := strings.Count(p.Body, "<td>user.create</td>"); got != 100 {
		t.Fatalf("first page: %d rows, want 100", got)
	}
	next := regexpFind(`href="([^"]+)" data-testid="older"`, p.Body)
	if next == "" {
		t.Fatal("no link to older rows")
	}
	p = admin.get(strings.ReplaceAll(next, "&amp;", "&"))
	if got := strings.Count(p.Body, "<td>user.create</td>"); got != 21 {
		t.Fatalf("second page: %d rows, want 21", got)
	}
	p = admin.get("/admin/audit?actor=admin%40example.org&action=login")
	if got := strings.Count(p.Body, "<td>login</td>"); got != 1 {
		t.Fatalf("filtered by actor and action: %d rows, want 1", got)
	}
	if p = admin.get("/admin/audit?from=2001-01-01&to=2001-01-02"); strings.Contains(p.Body, "<td>login</td>") {
		t.Fatal("date filter let a row through")
	}
	if p = admin.get("/admin/audit?from=yesterday"); p.Status != http.StatusUnprocessableEntity {
		t.Fatalf("bad date: %d, want 422", p.Status)
	}
}
