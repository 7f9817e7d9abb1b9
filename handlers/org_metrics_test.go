package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/disclose/disclose/db"
)

// TestOrgMetrics: a parent's member sees its metrics with its children's
// rolled up, a child's member its own only; another organisation's metrics
// answer 404 on both pages; the charts are SVG images with their numbers.
func TestOrgMetrics(t *testing.T) {
	p := newOrgPortal(t)
	ctx := context.Background()
	file := func(pr *db.Program, n int) {
		for i := 0; i < n; i++ {
			if _, err := p.DB.CreateReport(ctx, &db.NewReport{ProgramID: pr.ID, Source: db.SourceWeb,
				Title: fmt.Sprintf("Report %d", i), Description: "d", Reporter: db.Reporter{Credit: db.CreditAnonymous}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	file(p.agencyProg, 2)
	file(p.prog, 3)
	file(p.defaultProg, 5)
	member := func(email string, o *db.Organisation) *browser {
		u := p.mustUser(t, email, db.RoleViewer)
		if err := p.DB.SetOrgMember(ctx, o.ID, u.ID, db.RoleViewer, db.ActorSystem); err != nil {
			t.Fatal(err)
		}
		b := p.browser(t)
		b.mustLogin(email)
		return b
	}
	received := func(b *browser, path string) string {
		t.Helper()
		pg := b.get(path)
		if pg.Status != http.StatusOK {
			t.Fatalf("GET %s: %d", path, pg.Status)
		}
		return strings.TrimSpace(parse(t, pg).Find(`[data-testid=received]`).Text())
	}
	parent, child := member("viewer@agency.example", p.agency), member("viewer@client.example", p.client)
	for _, c := range []struct {
		b          *browser
		path, want string
	}{
		{parent, "/orgs/agency/metrics", "5"}, // agency 2 + client 3
		{parent, "/orgs/client/metrics", "3"},
		{parent, "/triage/metrics", "5"},
		{parent, "/triage/metrics?org=agency", "5"},
		{parent, "/triage/metrics?org=only:agency", "2"},
		{parent, "/triage/metrics?org=client", "3"},
		{child, "/orgs/client/metrics", "3"},
		{child, "/triage/metrics", "3"},
		{child, "/triage/metrics?org=client", "3"},
	} {
		if got := received(c.b, c.path); got != c.want {
			t.Errorf("%s: received %q, want %s", c.path, got, c.want)
		}
	}
	for _, c := range []struct {
		b    *browser
		path string
	}{
		{child, "/orgs/agency/metrics"}, {child, "/orgs/default/metrics"}, {parent, "/orgs/default/metrics"},
		{child, "/triage/metrics?org=agency"}, {child, "/triage/metrics?org=only:agency"}, {parent, "/triage/metrics?org=default"},
		{child, "/orgs/no-such/metrics"}, {child, "/triage/metrics?org=no-such"},
	} {
		if pg := c.b.get(c.path); pg.Status != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", c.path, pg.Status)
		}
	}
	pg := parent.get("/orgs/agency/metrics")
	doc := parse(t, pg)
	if n := doc.Find(`svg[role=img]`).Length(); n != 5 {
		t.Errorf("%d charts, want 5 (received, three milestones, open)", n)
	}
	doc.Find(`svg[role=img]`).Each(func(_ int, s *goquery.Selection) {
		ids := strings.Fields(s.AttrOr("aria-labelledby", ""))
		if len(ids) != 2 || s.Find("title#"+ids[0]).Length() != 1 || s.Find("desc#"+ids[1]).Length() != 1 {
			t.Errorf("a chart without its title and description: %v", ids)
		}
	})
	if got := strings.TrimSpace(doc.Find(`[data-severity=""]`).Text()); got != "5" {
		t.Errorf("open unrated reports %q, want 5", got)
	}
	if strings.Contains(pg.Body, "<script") {
		t.Error("the metrics page carries a script")
	}
	if pg := parent.get("/triage/metrics?from=2026-13"); pg.Status != http.StatusUnprocessableEntity {
		t.Errorf("a month that does not exist: %d, want 422", pg.Status)
	}
}
