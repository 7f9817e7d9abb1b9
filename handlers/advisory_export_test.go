package handlers_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
)

// TestAdvisoryDraftExport: the dashboard exports a draft as CSAF (status
// draft, version 0) for its organisation's staff, a viewer too, never
// cached, linked from the advisory's page; the public side still has
// nothing of it.
func TestAdvisoryDraftExport(t *testing.T) {
	p := newAdvisoryPortal(t, db.CreditName, "Alice")
	ident := p.draft(t, time.Time{}, "Unescaped.")
	page := p.viewer.get("/orgs/client/advisories/" + ident).Body
	path := "/orgs/client/advisories/" + ident + "/csaf.json"
	if !strings.Contains(page, `href="`+path+`"`) {
		t.Fatal("the advisory's page does not link its CSAF export")
	}
	pg := p.viewer.get(path)
	if pg.Status != http.StatusOK || pg.Header.Get("Cache-Control") != "no-store" || !strings.HasPrefix(pg.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("GET %s: %d, Cache-Control %q, Content-Disposition %q", path, pg.Status, pg.Header.Get("Cache-Control"), pg.Header.Get("Content-Disposition"))
	}
	var doc struct {
		Document struct {
			Tracking struct {
				ID, Status, Version string
			} `json:"tracking"`
		} `json:"document"`
	}
	if err := json.Unmarshal([]byte(pg.Body), &doc); err != nil {
		t.Fatal(err)
	}
	if tr := doc.Document.Tracking; tr.ID != ident || tr.Status != "draft" || tr.Version != "0" {
		t.Errorf("the draft's CSAF tracking: %+v", tr)
	}
	pub := p.at(t, clientSite)
	if pg := pub.get("/advisories/" + ident); pg.Status != http.StatusNotFound {
		t.Errorf("the draft's public page: %d, want 404", pg.Status)
	}
}
