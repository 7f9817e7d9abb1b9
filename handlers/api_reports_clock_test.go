package handlers_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
)

// TestAPIQueueIncidentClock: GET /api/v1/reports takes clock= (due,
// overdue) as the queue page does, scoped the same: a token of the
// organisation's members lists the reports whose incident clock is due or
// overdue (across pages with the cursor too); a token of a member of the
// program only sees its reports but no incident's clock, so no matches;
// another value is a field error. Before, clock was an unknown parameter.
func TestAPIQueueIncidentClock(t *testing.T) {
	e := newAPIOrgEnv(t)
	ctx := context.Background()
	d := e.env.DB
	overdue, err := d.CreateIncident(ctx, &db.NewIncident{OrgID: e.client.ID, Title: "Card data", Severity: "high", Reports: []int64{e.mailed.ID},
		AwareAt: d.Now().Add(-7 * time.Hour), AwareSource: "a call", Presets: []string{"cert-in"}}, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	prog := e.env.mustUser(t, "prog@example.org", db.RoleTriager, e.own.ID)
	refs := func(api *apiClient, query string) string {
		t.Helper()
		var out []string
		for path := "/api/v1/reports" + query; path != ""; {
			a := api.get(path)
			if a.Status != http.StatusOK {
				t.Fatalf("GET %s: %d %s", path, a.Status, a.Body)
			}
			var q struct {
				Reports    []struct{ Ref string }
				NextCursor *string `json:"next_cursor"`
			}
			a.decode(t, &q)
			for _, r := range q.Reports {
				out = append(out, r.Ref)
			}
			path = ""
			if q.NextCursor != nil {
				path = "/api/v1/reports" + query + "&cursor=" + *q.NextCursor
			}
		}
		return strings.Join(out, " ")
	}
	for _, tc := range []struct {
		name, token      string
		due, overdueRefs string
	}{
		{"the organisation's viewer", e.token(t, e.view, db.ScopeRead, ""), e.mailed.Ref(), e.mailed.Ref()},
		{"the organisation's triager, limited to it", e.token(t, e.tri, db.ScopeWrite, "client"), e.mailed.Ref(), e.mailed.Ref()},
		{"a member of the program only", e.token(t, prog, db.ScopeRead, ""), "", ""},
	} {
		api := e.env.api(t, tc.token)
		if all := refs(api, "?state=all"); !strings.Contains(all, e.mailed.Ref()) {
			t.Fatalf("%s: the queue %q lacks %s", tc.name, all, e.mailed.Ref())
		}
		if got := refs(api, "?clock=due&state=all"); got != tc.due {
			t.Errorf("%s: clock=due lists %q, want %q (%s overdue, %s running)", tc.name, got, tc.due, overdue.Ref(), e.inc.Ref())
		}
		if got := refs(api, "?clock=overdue"); got != tc.overdueRefs {
			t.Errorf("%s: clock=overdue lists %q, want %q", tc.name, got, tc.overdueRefs)
		}
		a := api.get("/api/v1/reports?clock=soonish")
		if p := a.problem(t); a.Status != http.StatusBadRequest && a.Status != http.StatusUnprocessableEntity || !strings.Contains(string(a.Body), `"clock"`) {
			t.Errorf("%s: clock=soonish: %d %v", tc.name, a.Status, p)
		}
	}
}
