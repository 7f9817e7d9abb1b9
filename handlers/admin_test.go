package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
)

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
