package handlers_test

import (
	"context"
	"testing"

	"github.com/disclose/disclose/db"
)

// The answers of the single sign-on routes to the matrix's requests
// (authz_answers_test.go): the callback without a sign-in under way is
// 401, a provider that does not exist 404, the empty form 422.
func init() {
	answers["GET /login/sso/callback"] = answer{401, ""}
	answers["GET /login/sso/:id"] = answer{404, ""}
	answers["POST /admin/sso"] = answer{422, ""}
	answers["POST /admin/sso/:id/delete"] = answer{303, "/admin/sso?done=removed"}
}

// ssoProvider is a fresh provider of the default organisation (the
// delete route deletes it). Nothing contacts its issuer.
func (f *matrixFixture) ssoProvider(t testing.TB) int64 {
	t.Helper()
	p, err := f.env.DB.CreateSSOProvider(context.Background(), &db.NewSSOProvider{OrgID: 1, Name: "IdP", Issuer: "https://idp.example.org",
		ClientID: "portal", ClientSecret: "secret", Domains: "example.org", RoleMode: db.SSOExisting}, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	return p.ID
}
