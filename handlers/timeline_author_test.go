package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
)

// TestTimelineAuthor: a staff member who left the optional name empty is
// named by their address on the timeline, not as "the system" (the
// screenshot review found the admin's own reply credited to the system).
func TestTimelineAuthor(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		env := newPortal(t)
		env.mustUser(t, "nameless@example.org", db.RoleAdmin)
		pub := env.browser(t)
		key := regexpFind(`name="key" value="([^"]*)"`, pub.get("/report").Body)
		receipt := pub.post("/report", url.Values{"key": {key}, "title": {"Open redirect"}, "description": {"/go?to=evil"}, "credit": {"anonymous"}})
		ref := regexpFind(`data-testid="ref">([^<]+)<`, receipt.Body)

		staff := env.browser(t)
		staff.mustLogin("nameless@example.org")
		report := staff.get("/triage/reports/" + ref)
		version := regexpFind(`name="version" value="([^"]*)"`, report.Body)
		if got := staff.post("/triage/reports/"+ref+"/note", url.Values{"version": {version}, "body": {"Owner: the web team."}}); got.Status != http.StatusSeeOther {
			t.Fatalf("note: status %d", got.Status)
		}
		body := staff.get("/triage/reports/" + ref).Body
		if got, want := strings.Contains(body, "Internal note by nameless@example.org"), true; got != want {
			t.Fatalf("timeline names the author: %v, want %v", got, want)
		}
		if strings.Contains(body, "Internal note by the system") {
			t.Fatal("a staff note is credited to the system")
		}
	})
}
