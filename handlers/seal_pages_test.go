package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
)

// TestSealedPages: while the team key is locked the dashboard and the
// status page show no plaintext and no error; once unlocked they show the
// text again.
func TestSealedPages(t *testing.T) {
	const marker = "ZQXSEALEDPAGE"
	env := newPortal(t)
	key := newTeamKey(t)
	env.DB.SetSealer(key, true)
	reporter := env.browser(t)
	ref, code := submitWeb(t, reporter, map[string]string{"title": marker + " in login", "description": "desc " + marker, "asset": "login.example.org", "steps": "open it", "impact": "account takeover", "name": "alice", "email": "alice@example.org"})
	env.mustUser(t, "admin@example.org", db.RoleAdmin)
	staff := env.browser(t)
	staff.mustLogin("admin@example.org")
	pages := []string{"/triage", "/triage/reports/" + ref, "/triage/export.json"}

	key.Lock()
	t.Run("LockedDashboard", func(t *testing.T) {
		for _, path := range pages {
			p := staff.get(path)
			if got, want := p.Status, http.StatusOK; got != want {
				t.Fatalf("%s: status %d, want %d", path, got, want)
			}
			if strings.Contains(p.Body, marker) {
				t.Errorf("%s shows the sealed text while locked", path)
			}
			if !strings.Contains(p.Body, "sealed") {
				t.Errorf("%s does not say the report is sealed", path)
			}
		}
	})
	t.Run("LockedStatusPage", func(t *testing.T) {
		p := reporter.post("/status", url.Values{"code": {code}})
		if p.Status == http.StatusSeeOther {
			p = reporter.get(p.Location)
		}
		if got, want := p.Status, http.StatusOK; got != want {
			t.Fatalf("status page: %d, want %d", got, want)
		}
		if strings.Contains(p.Body, marker) || !strings.Contains(p.Body, `data-testid="sealed"`) {
			t.Fatalf("status page while locked: marker shown or no sealed notice")
		}
		// The reporter can still answer: writing needs only the public key.
		if p := reporter.post("/status/reply", url.Values{"body": {"more " + marker}}); p.Status >= 400 {
			t.Fatalf("reply while locked: status %d", p.Status)
		}
	})
	if err := key.Unlock([]byte(sealPassphrase)); err != nil {
		t.Fatal(err)
	}
	t.Run("Unlocked", func(t *testing.T) {
		for _, path := range pages {
			p := staff.get(path)
			if p.Status != http.StatusOK || !strings.Contains(p.Body, marker) {
				t.Errorf("%s: status %d, shows the text: %v", path, p.Status, strings.Contains(p.Body, marker))
			}
		}
		if p := staff.get("/triage/reports/" + ref); !strings.Contains(p.Body, "more "+marker) {
			t.Errorf("the reply sent while locked is not readable after unlock")
		}
		p := reporter.post("/status", url.Values{"code": {code}})
		if p.Status == http.StatusSeeOther {
			p = reporter.get(p.Location)
		}
		if !strings.Contains(p.Body, marker) || strings.Contains(p.Body, `data-testid="sealed"`) {
			t.Errorf("status page after unlock does not show the text")
		}
	})
}
