package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
)

// TestOrgAdminWebhooks: an organisation's admin manages the webhooks of
// its programs from its page (the admin navigation of the operator is not
// shown to them), and a webhook or program of the parent organisation
// answers 404 like one that does not exist.
func TestOrgAdminWebhooks(t *testing.T) {
	p := newOrgPortal(t)
	ctx := context.Background()
	theirs, err := p.DB.CreateWebhook(ctx, &db.NewWebhook{ProgramID: p.agencyProg.ID, URL: "https://hooks.agency.example/x", Format: db.WebhookGeneric, Enabled: true}, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	b := p.orgAdmin(t, "admin@client.example", p.client)
	path := "/admin/programs/" + itoa(p.prog.ID) + "/webhooks"
	if !strings.Contains(b.get("/orgs/client").Body, `href="`+path+`"`) {
		t.Error("the organisation page has no link to its program's webhooks")
	}
	pg := b.get(path)
	if pg.Status != http.StatusOK || strings.Contains(pg.Body, `href="/admin/users"`) || !strings.Contains(pg.Body, `href="/orgs/client"`) {
		t.Fatalf("GET %s: %d, want the page with a way back to the organisation and without the operator's navigation", path, pg.Status)
	}
	if pg := b.post(path, url.Values{"url": {"https://hooks.client.example/in"}, "format": {"generic"}, "enabled": {"on"}}); pg.Status != http.StatusSeeOther {
		t.Fatalf("adding a webhook: %d", pg.Status)
	}
	hooks, err := p.DB.Webhooks(ctx, p.prog.ID)
	if err != nil || len(hooks) != 1 {
		t.Fatalf("webhooks of the client's program: %d, %v", len(hooks), err)
	}
	if !strings.Contains(b.get(path).Body, hooks[0].Secret) {
		t.Error("the client's admin does not see the secret its receiver needs")
	}
	for _, tc := range []struct{ method, path string }{
		{"GET", "/admin/programs/" + itoa(p.agencyProg.ID) + "/webhooks"},
		{"POST", "/admin/programs/" + itoa(p.agencyProg.ID) + "/webhooks"},
		{"POST", "/admin/webhooks/" + itoa(theirs.ID)},
		{"POST", "/admin/webhooks/" + itoa(theirs.ID) + "/delete"},
		{"GET", "/admin/programs/9999/webhooks"},
	} {
		var got page
		if tc.method == "GET" {
			got = b.get(tc.path)
		} else {
			got = b.post(tc.path, url.Values{"url": {"https://evil.example/"}, "format": {"generic"}})
		}
		if got.Status != http.StatusNotFound {
			t.Errorf("%s %s: %d, want 404", tc.method, tc.path, got.Status)
		}
	}
	if h, err := p.DB.WebhookByID(ctx, theirs.ID); err != nil || h.URL != "https://hooks.agency.example/x" {
		t.Errorf("the agency's webhook: %v, %v", h, err)
	}
}
