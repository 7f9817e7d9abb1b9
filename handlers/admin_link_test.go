package handlers_test

import (
	"net/url"
	"testing"

	"github.com/disclose/disclose/db"
)

// TestSiteAdminSeesNoAccountLink: the site admin inviting from the dashboard
// is not shown the setup link either (it was, like the reset link): it is
// mailed to the address.
func TestSiteAdminSeesNoAccountLink(t *testing.T) {
	env := newPortal(t)
	env.mustUser(t, "admin@example.org", db.RoleAdmin)
	admin := env.browser(t)
	admin.mustLogin("admin@example.org")
	admin.get("/admin/users")
	p := admin.post("/admin/users", url.Values{"email": {"new@example.org"}, "role": {"viewer"}})
	if l := oneTimeLinkRE.FindString(p.Body); l != "" {
		t.Fatalf("the site admin was shown a one-time link %q", l)
	}
}
