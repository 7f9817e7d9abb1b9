package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
)

// TestWebhookIncidentClocksOptIn: an organisation's admin turns incident
// clock alerts on for one of its program's webhooks on the webhook form
// (labelled with the organisation, audited) and off again; a new webhook
// starts off. The program's own people — a program-only triager, the
// organisation's triager — get the 404 of the route table and the flag
// stays as it was.
func TestWebhookIncidentClocksOptIn(t *testing.T) {
	p := newOrgPortal(t)
	ctx := context.Background()
	b := p.orgAdmin(t, "admin@client.example", p.client)
	path := "/admin/programs/" + itoa(p.prog.ID) + "/webhooks"
	if pg := b.get(path); pg.Status != http.StatusOK || !strings.Contains(pg.Body, "Also send incident notification clocks of Client (content-free)") {
		t.Fatalf("GET %s: %d, want the incident clocks switch labelled with the organisation", path, pg.Status)
	}
	if pg := b.post(path, url.Values{"url": {"https://hooks.client.example/team"}, "format": {"generic"}, "enabled": {"on"}}); pg.Status != http.StatusSeeOther {
		t.Fatalf("adding a webhook: %d", pg.Status)
	}
	hooks, err := p.DB.Webhooks(ctx, p.prog.ID)
	if err != nil || len(hooks) != 1 || hooks[0].IncidentClocks {
		t.Fatalf("a webhook added without the switch: %+v, %v; want incident clocks off", hooks, err)
	}
	h := hooks[0]
	hookPath := "/admin/webhooks/" + itoa(h.ID)
	form := func(clocks bool) url.Values { // fresh each post: post adds the browser's CSRF token
		v := url.Values{"url": {h.URL}, "format": {"generic"}, "enabled": {"on"}}
		if clocks {
			v.Set("clocks", "on")
		}
		return v
	}
	flag := func() bool {
		t.Helper()
		got, err := p.DB.WebhookByID(ctx, h.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got.IncidentClocks
	}

	// Program-only triager, and the organisation's triager: 404, nothing changes.
	p.mustUser(t, "dev@client.example", db.RoleTriager, p.prog.ID)
	dev := p.browser(t)
	dev.mustLogin("dev@client.example")
	tri := p.mustUser(t, "triager@client.example", db.RoleViewer)
	if err := p.DB.SetOrgMember(ctx, p.client.ID, tri.ID, db.RoleTriager, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	orgTri := p.browser(t)
	orgTri.mustLogin("triager@client.example")
	for name, nb := range map[string]*browser{"program-only triager": dev, "organisation's triager": orgTri} {
		if pg := nb.post(hookPath, form(true)); pg.Status != http.StatusNotFound {
			t.Errorf("%s switching incident clocks on: %d, want 404", name, pg.Status)
		}
		if pg := nb.post(path, url.Values{"url": {"https://hooks.client.example/mine"}, "format": {"generic"}, "enabled": {"on"}, "clocks": {"on"}}); pg.Status != http.StatusNotFound {
			t.Errorf("%s adding a webhook with incident clocks: %d, want 404", name, pg.Status)
		}
	}
	if flag() {
		t.Fatal("a program's people switched the organisation's incident clocks on")
	}
	if hooks, _ := p.DB.Webhooks(ctx, p.prog.ID); len(hooks) != 1 {
		t.Fatalf("%d webhooks, want the admin's one", len(hooks))
	}

	// The organisation's admin: on, shown checked, audited; then off.
	if pg := b.post(hookPath, form(true)); pg.Status != http.StatusSeeOther || !flag() {
		t.Fatalf("the admin switching incident clocks on: %d, flag %t", pg.Status, flag())
	}
	if pg := b.get(path); !strings.Contains(pg.Body, `name="clocks" checked`) {
		t.Error("the webhook form does not show incident clocks on")
	}
	rows, err := p.DB.ListAudit(ctx, db.AuditFilter{Action: "webhook.update"})
	if err != nil || len(rows.Entries) != 1 || !strings.Contains(rows.Entries[0].Detail, "clocks=true") || rows.Entries[0].Actor != "admin@client.example" {
		t.Fatalf("audit of the switch: %+v, %v", rows.Entries, err)
	}
	if pg := b.post(hookPath, form(false)); pg.Status != http.StatusSeeOther || flag() {
		t.Fatalf("the admin switching incident clocks off: %d, flag %t", pg.Status, flag())
	}
}
