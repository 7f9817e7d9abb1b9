package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
)

// TestRoleRefusalPage: a role that does not reach a page gets a 403 that
// says so (db.EFORBIDDEN through the one status table), not the CSRF
// check's "This form has expired".
func TestRoleRefusalPage(t *testing.T) {
	env := newPortal(t)
	env.mustUser(t, "tri@example.org", db.RoleTriager, 1)
	b := env.browser(t)
	b.mustLogin("tri@example.org")
	p := b.get("/admin/users")
	doc := parse(t, p)
	if p.Status != http.StatusForbidden || !strings.HasPrefix(doc.Find("title").Text(), "Not allowed") ||
		!strings.Contains(p.Body, "Your role does not give access to this page.") || strings.Contains(p.Body, "This form has expired") {
		t.Fatalf("status %d, title %q", p.Status, doc.Find("title").Text())
	}
}
