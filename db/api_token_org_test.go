package db_test

import (
	"context"
	"testing"

	"github.com/disclose/disclose/db"
)

// TestAPITokenOrganisationRoles: a token's organisation roles (what the
// incident and advisory rules read) are the user's, capped by the scope and
// kept within the organisation limit; a role in the limit's parent counts
// for the limit alone.
func TestAPITokenOrganisationRoles(t *testing.T) {
	ctx := context.Background()
	d := MustOpenDB(t)
	var orgs [2]*db.Organisation
	for k, slug := range []string{"client", "sibling"} {
		o, err := d.CreateOrg(ctx, &db.NewOrg{Slug: slug, Name: slug, ParentSlug: "default"}, db.ActorSystem)
		if err != nil {
			t.Fatal(err)
		}
		orgs[k] = o
	}
	user := func(email string, role db.Role, org int64) *db.User {
		u, err := d.CreateUser(ctx, &db.NewUser{Email: email, Name: email, Role: role, Password: "correct horse battery staple"}, db.ActorSystem)
		if err != nil {
			t.Fatal(err)
		}
		if org != 0 {
			if err := d.SetOrgMember(ctx, org, u.ID, db.RoleAdmin, db.ActorSystem); err != nil {
				t.Fatal(err)
			}
		}
		return u
	}
	clientAdmin := user("ca@example.org", db.RoleViewer, orgs[0].ID)
	parentAdmin := user("pa@example.org", db.RoleViewer, db.DefaultOrgID)
	siteAdmin := user("root@example.org", db.RoleAdmin, 0)
	for _, tc := range []struct {
		name            string
		u               *db.User
		scope           db.APIScope
		limit           string
		client, sibling db.Role
	}{
		{"organisation admin, admin scope", clientAdmin, db.ScopeAdmin, "", db.RoleAdmin, ""},
		{"organisation admin, write scope", clientAdmin, db.ScopeWrite, "", db.RoleTriager, ""},
		{"organisation admin, read scope", clientAdmin, db.ScopeRead, "", db.RoleViewer, ""},
		{"parent admin, read scope", parentAdmin, db.ScopeRead, "", db.RoleViewer, db.RoleViewer},
		{"parent admin, write scope limited to the client", parentAdmin, db.ScopeWrite, "client", db.RoleTriager, ""},
		{"parent admin, admin scope limited to the sibling", parentAdmin, db.ScopeAdmin, "sibling", "", db.RoleAdmin},
		{"site admin, read scope", siteAdmin, db.ScopeRead, "", db.RoleViewer, db.RoleViewer},
		{"site admin, admin scope limited to the client", siteAdmin, db.ScopeAdmin, "client", db.RoleAdmin, ""},
		{"site admin, admin scope", siteAdmin, db.ScopeAdmin, "", db.RoleAdmin, db.RoleAdmin},
	} {
		_, secret, err := d.CreateAPIToken(ctx, tc.u.ID, db.NewAPIToken{Name: "t", Scope: tc.scope, OrgSlug: tc.limit}, db.ActorSystem)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		e, _, err := d.UserByAPIToken(ctx, secret)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := e.OrgRole(orgs[0]); got != tc.client {
			t.Errorf("%s: role in the client %q, want %q", tc.name, got, tc.client)
		}
		if got := e.OrgRole(orgs[1]); got != tc.sibling {
			t.Errorf("%s: role in the sibling %q, want %q", tc.name, got, tc.sibling)
		}
	}
}
