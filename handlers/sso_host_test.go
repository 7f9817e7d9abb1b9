package handlers_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
)

// TestLoginOffersOnlyTheHostsProviders: the sign-in page of one tenant's
// host does not name another tenant's identity provider, nor can it be
// started there; on its own host it is offered (session 5 review: /login
// listed every organisation's provider on every host).
func TestLoginOffersOnlyTheHostsProviders(t *testing.T) {
	p := newOrgPortal(t)
	other, err := p.DB.CreateOrg(context.Background(), &db.NewOrg{Slug: "secretclient", Name: "Secret Client", Hosts: []string{"reports.secret.example"}}, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DB.CreateSSOProvider(context.Background(), &db.NewSSOProvider{OrgID: other.ID, Name: "Secret Client Okta",
		Issuer: "https://secret.okta.example", ClientID: "x", ClientSecret: "y", Domains: "secret.example", RoleMode: db.SSOExisting}, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	pg := p.at(t, "reports.agency.example").get("/login")
	if strings.Contains(pg.Body, "Secret Client Okta") {
		t.Errorf("the agency host's sign-in page names another tenant's identity provider")
	}
	provs, err := p.DB.SSOProviders(context.Background())
	if err != nil || len(provs) != 1 {
		t.Fatalf("providers: %v %v", provs, err)
	}
	if pg := p.at(t, "reports.agency.example").get("/login/sso/" + itoa(provs[0].ID)); pg.Status != http.StatusNotFound {
		t.Errorf("starting another tenant's provider on the agency's host: %d, want 404", pg.Status)
	}
	if pg := p.at(t, "reports.secret.example").get("/login"); !strings.Contains(pg.Body, "Secret Client Okta") {
		t.Error("the tenant's own host does not offer its provider")
	}
}
