package handlers_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
)

// rowOf is the text of the element with data-testid=id in html, tags
// dropped (up to its closing </tr>).
func rowOf(html, id string) string {
	i := strings.Index(html, `data-testid="`+id+`"`)
	if i < 0 {
		return ""
	}
	row := html[i:]
	if j := strings.Index(row, "</tr>"); j >= 0 {
		row = row[:j]
	}
	return strings.Join(strings.Fields(regexp.MustCompile(`<[^>]*>`).ReplaceAllString(row, " ")), " ")
}

// TestReviewShowsOrganisations: the account review lists each account's
// organisations with the role in each (and pending invitations); the user
// menu of an organisation's admin says so, not "viewer" (users.role of an
// account that has only memberships).
func TestReviewShowsOrganisations(t *testing.T) {
	p := newOrgPortal(t)
	boss := p.orgAdmin(t, "boss@client.example", p.client)
	menu := boss.get("/triage")
	if got := rowOf(menu.Body, "user-roles"); !strings.Contains(got, "admin of Client") || strings.Contains(got, "viewer") {
		t.Errorf("the user menu of the client's admin: %q", got)
	}
	mustInvite(t, p.portal, p.agency, "boss@client.example", db.RoleTriager)
	p.mustUser(t, "root@example.org", db.RoleAdmin)
	root := p.browser(t)
	root.mustLogin("root@example.org")
	if got := rowOf(root.get("/triage").Body, "user-roles"); !strings.Contains(got, "site admin") {
		t.Errorf("the user menu of the site admin: %q", got)
	}
	pg := root.get("/admin/review")
	if pg.Status != http.StatusOK {
		t.Fatalf("review: %d", pg.Status)
	}
	row := rowOf(pg.Body, "review-boss@client.example")
	for _, want := range []string{"Client: admin", "Agency: triager (invited)", "none"} {
		if !strings.Contains(row, want) {
			t.Errorf("review row of the client's admin lacks %q: %q", want, row)
		}
	}
	if row := rowOf(pg.Body, "review-root@example.org"); !strings.Contains(row, "site admin") {
		t.Errorf("review row of the site admin: %q", row)
	}
}
