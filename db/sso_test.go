package db_test

import (
	"bytes"
	"context"
	"os"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
)

func newSSOProvider(t testing.TB, d *db.DB, orgID int64, roles string) *db.SSOProvider {
	t.Helper()
	mode, claim, m, err := db.ParseSSORoles(roles)
	if err != nil {
		t.Fatal(err)
	}
	p, err := d.CreateSSOProvider(context.Background(), &db.NewSSOProvider{OrgID: orgID, Name: "Example IdP",
		Issuer: "https://idp.example.org", ClientID: "portal", ClientSecret: "the-client-secret-value",
		Domains: "Example.org, staff.example.org", RoleMode: mode, GroupsClaim: claim, GroupRoles: m}, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSSOProvider(t *testing.T) {
	ctx := context.Background()
	t.Run("SecretSealed", func(t *testing.T) {
		f := newTriageFixture(t)
		p := newSSOProvider(t, f.DB, 1, "groups:groups=admin:a,triager:t")
		if got, want := p.Domains, []string{"example.org", "staff.example.org"}; len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
			t.Errorf("domains %v", got)
		}
		if p.GroupRoles["t"] != db.RoleTriager || p.GroupRoles["a"] != db.RoleAdmin {
			t.Errorf("roles %v", p.GroupRoles)
		}
		if s, err := f.DB.SSOClientSecret(ctx, p.ID); err != nil || s != "the-client-secret-value" {
			t.Fatalf("secret %q %v", s, err)
		}
		// Neither the database file nor its WAL holds the secret in clear.
		for _, suffix := range []string{"", "-wal"} {
			raw, _ := os.ReadFile(f.DB.Path + suffix)
			if bytes.Contains(raw, []byte("the-client-secret-value")) {
				t.Errorf("the client secret is in the clear in %s", f.DB.Path+suffix)
			}
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		f := newTriageFixture(t)
		for name, in := range map[string]db.NewSSOProvider{
			"http issuer":  {Name: "x", Issuer: "http://idp.example.org", ClientID: "c", ClientSecret: "s", Domains: "example.org", RoleMode: db.SSOExisting},
			"no domains":   {Name: "x", Issuer: "https://idp.example.org", ClientID: "c", ClientSecret: "s", Domains: " , ", RoleMode: db.SSOExisting},
			"wildcard":     {Name: "x", Issuer: "https://idp.example.org", ClientID: "c", ClientSecret: "s", Domains: "*.example.org", RoleMode: db.SSOExisting},
			"no secret":    {Name: "x", Issuer: "https://idp.example.org", ClientID: "c", Domains: "example.org", RoleMode: db.SSOExisting},
			"groups empty": {Name: "x", Issuer: "https://idp.example.org", ClientID: "c", ClientSecret: "s", Domains: "example.org", RoleMode: db.SSOGroups},
		} {
			if _, err := f.DB.CreateSSOProvider(ctx, &in, db.ActorSystem); db.ErrorCode(err) != db.EINVALID {
				t.Errorf("%s: %v", name, err)
			}
		}
		for _, s := range []string{"", "groups", "groups:g", "groups:g=root:x", "groups:g=admin"} {
			if _, _, _, err := db.ParseSSORoles(s); db.ErrorCode(err) != db.EINVALID {
				t.Errorf("ParseSSORoles(%q): %v", s, err)
			}
		}
	})
}

// TestSSOLoginState: a state is good once, in the browser that began it,
// within its lifetime.
func TestSSOLoginState(t *testing.T) {
	ctx := context.Background()
	f := newTriageFixture(t)
	p := newSSOProvider(t, f.DB, 0, "existing")
	st, err := f.DB.BeginSSOLogin(ctx, p.ID, "/triage", "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Verifier) < 43 || st.Nonce == st.State || st.State == st.Browser {
		t.Fatalf("weak values: %+v", st)
	}
	if _, err := f.DB.TakeSSOLogin(ctx, st.State, "another browser"); err != db.ErrSSOState {
		t.Fatalf("another browser: %v", err)
	}
	// The wrong browser spent it.
	if _, err := f.DB.TakeSSOLogin(ctx, st.State, st.Browser); err != db.ErrSSOState {
		t.Fatalf("after a wrong browser: %v", err)
	}
	st, _ = f.DB.BeginSSOLogin(ctx, p.ID, "/triage/reports/X-1", "192.0.2.1")
	got, err := f.DB.TakeSSOLogin(ctx, st.State, st.Browser)
	if err != nil || got.Nonce != st.Nonce || got.Verifier != st.Verifier || got.Next != "/triage/reports/X-1" || got.ProviderID != p.ID {
		t.Fatalf("take: %+v %v", got, err)
	}
	if _, err := f.DB.TakeSSOLogin(ctx, st.State, st.Browser); err != db.ErrSSOState {
		t.Fatalf("second use: %v", err)
	}
	st, _ = f.DB.BeginSSOLogin(ctx, p.ID, "/triage", "192.0.2.1")
	f.advance(db.SSOLoginLifetime)
	if _, err := f.DB.TakeSSOLogin(ctx, st.State, st.Browser); err != db.ErrSSOState {
		t.Fatalf("expired: %v", err)
	}
}

// TestSSOSignInRules covers what needs no provider: an organisation's
// provider and memberships elsewhere.
func TestSSOSignInRules(t *testing.T) {
	ctx := context.Background()
	f := newTriageFixture(t)
	client, err := f.DB.CreateOrg(ctx, &db.NewOrg{Slug: "client", Name: "Client", ParentSlug: "default"}, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	p := newSSOProvider(t, f.DB, client.ID, "groups:groups=triager:sec")
	// tina is a triager of a program of the default organisation: the
	// client's provider must not sign her in, groups or not.
	_, err = f.DB.SSOSignIn(ctx, p.ID, db.SSOClaims{Subject: "s1", Email: "tina@example.org", EmailVerified: true, Groups: []string{"sec"}}, "192.0.2.1")
	if err != db.ErrSSONoAccount {
		t.Fatalf("member of another organisation: %v", err)
	}
	res, err := f.DB.SSOSignIn(ctx, p.ID, db.SSOClaims{Subject: "s2", Email: "new@staff.example.org", EmailVerified: true, Groups: []string{"sec"}}, "192.0.2.1")
	if err != nil || res.Token == "" {
		t.Fatalf("new member: %v", err)
	}
	u, err := f.DB.UserBySession(ctx, res.Token)
	if err != nil || len(u.Orgs) != 1 || u.Orgs[0].OrgID != client.ID || u.Orgs[0].Role != db.RoleTriager {
		t.Fatalf("new member's access: %+v %v", u, err)
	}
	// Another subject of the same provider with that address cannot take
	// the account over.
	if _, err := f.DB.SSOSignIn(ctx, p.ID, db.SSOClaims{Subject: "s3", Email: "new@staff.example.org", EmailVerified: true, Groups: []string{"sec"}}, "192.0.2.1"); err != db.ErrSSONoAccount {
		t.Fatalf("second subject: %v", err)
	}
	f.advance(time.Minute)
}

// ssoPlanWorkload runs the statements of single sign-on for TestQueryPlans.
func ssoPlanWorkload(t *testing.T, d *db.DB) {
	ctx := context.Background()
	p := newSSOProvider(t, d, 0, "groups:groups=viewer:staff")
	if _, err := d.SSOProviders(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := d.SSOClientSecret(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	st, err := d.BeginSSOLogin(ctx, p.ID, "/triage", "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.TakeSSOLogin(ctx, st.State, st.Browser); err != nil {
		t.Fatal(err)
	}
	// The bounds per network, per site and for the portal, each reached.
	defer func(g, n, s int) {
		db.MaxSSOLogins, db.MaxSSOLoginsPerNetwork, db.MaxSSOLoginsPerSite = g, n, s
	}(db.MaxSSOLogins, db.MaxSSOLoginsPerNetwork, db.MaxSSOLoginsPerSite)
	db.MaxSSOLogins, db.MaxSSOLoginsPerNetwork, db.MaxSSOLoginsPerSite = 5, 2, 3
	for _, addr := range []string{"2001:db8::1", "2001:db8::2", "2001:db8::3", "2001:db8:0:1::1", "2001:db8:0:2::1", "2001:db8:1::1", "198.51.100.1"} {
		if _, err := d.BeginSSOLogin(ctx, p.ID, "/triage", addr); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.AuditSSORefusal(ctx, p.ID, "test", "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := d.SSOSignIn(ctx, p.ID, db.SSOClaims{Subject: "sub", Email: "sso@example.org", EmailVerified: true, Groups: []string{"staff"}}, "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
	}
	o := newSSOProvider(t, d, 1, "existing")
	if _, err := d.SSOSignIn(ctx, o.ID, db.SSOClaims{Subject: "sub", Email: "sso@example.org", EmailVerified: true}, "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	if err := d.DeleteSSOProvider(ctx, p.ID, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
}
