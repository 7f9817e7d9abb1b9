package handlers_test

import (
	"context"
	"crypto/rand"
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
	// Passkeys: the matrix's portal is on 127.0.0.1, and an IP address
	// cannot be a WebAuthn relying party: the ceremonies' starts answer 409
	// (passkey_browser_test.go runs them on localhost); a finish without a
	// ceremony under way is refused (401 at sign-in, 422 on the account
	// page); renaming without a name is 422.
	answers["POST /account/passkeys/begin"] = answer{409, ""}
	answers["POST /account/passkeys"] = answer{422, ""}
	answers["POST /account/passkeys/:id/name"] = answer{422, ""}
	answers["POST /account/passkeys/:id/delete"] = answer{303, "/account/passkeys?done=removed"}
	answers["POST /login/passkey/begin"] = answer{409, ""}
	answers["POST /login/passkey"] = answer{401, ""}
	answers["POST /login/code/passkey/begin"] = answer{409, ""}
	answers["POST /login/code/passkey"] = answer{401, ""}
}

// ownPasskey is a fresh passkey of the case's subject (the delete route
// deletes it). Subjects the rule refuses, and those who must still set up
// a second factor (a passkey would be one), get someone's: it is never
// looked at.
func (f *matrixFixture) ownPasskey(c *matrixCase) string {
	if !c.s.staff() || c.s.enrolling {
		return f.someonesPasskey(c)
	}
	u, err := f.env.DB.UserByEmail(context.Background(), c.s.email)
	if err != nil {
		c.t.Fatal(err)
	}
	return itoa(f.passkeyOf(c.t, u.ID))
}

// othersPasskey is the passkey of a user no subject is, made once per
// fixture (not someone's: POST /login signs someone in with a password).
var othersPasskey = map[*matrixFixture]int64{}

func (f *matrixFixture) someonesPasskey(c *matrixCase) string {
	if id, ok := othersPasskey[f]; ok {
		return itoa(id)
	}
	u := f.env.mustUser(c.t, "passkey-owner@example.org", db.RoleViewer)
	othersPasskey[f] = f.passkeyOf(c.t, u.ID)
	return itoa(othersPasskey[f])
}

// passkeyOf stores a passkey record for userID (no authenticator: the
// matrix never signs in with it).
func (f *matrixFixture) passkeyOf(t testing.TB, userID int64) int64 {
	t.Helper()
	ctx := context.Background()
	id := make([]byte, 16)
	rand.Read(id)
	if _, err := f.env.DB.AddPasskey(ctx, userID, id, "key", "{}", db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	keys, err := f.env.DB.Passkeys(ctx, userID)
	if err != nil {
		t.Fatal(err)
	}
	return keys[len(keys)-1].ID
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
