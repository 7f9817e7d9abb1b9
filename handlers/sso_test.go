package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/disclose/disclose/db"
)

// ssoPortal is a portal with a real OpenID provider in the test and that
// provider configured for the default organisation as roles.
func ssoPortal(t *testing.T, roles string, require2FA bool, opts ...portalOption) (*portal, *testOP, *db.SSOProvider) {
	t.Helper()
	p := newPortal(t, opts...)
	o := newTestOP(t, p.Server.URL+"/login/sso/callback")
	mode, claim, m, err := db.ParseSSORoles(roles)
	if err != nil {
		t.Fatal(err)
	}
	prov, err := p.DB.CreateSSOProvider(context.Background(), &db.NewSSOProvider{OrgID: 1, Name: "Example IdP", Issuer: o.Issuer,
		ClientID: o.ClientID, ClientSecret: o.ClientSecret, Domains: "example.org, staff.example.org", RoleMode: mode,
		GroupsClaim: claim, GroupRoles: m, Require2FA: require2FA}, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	return p, o, prov
}

// lastAudit is the newest audit row of one of the actions.
func (p *portal) lastAudit(t *testing.T, actions ...string) db.AuditEntry {
	t.Helper()
	pg, err := p.DB.ListAudit(context.Background(), db.AuditFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range pg.Entries {
		for _, a := range actions {
			if e.Action == a {
				return *e
			}
		}
	}
	t.Fatalf("no audit row of %v", actions)
	return db.AuditEntry{}
}

// triager is a member of the default organisation with the triager role.
func triager(t *testing.T, p *portal, email string) *db.User {
	t.Helper()
	u := p.mustUser(t, email, db.RoleViewer)
	if err := p.DB.SetOrgMember(context.Background(), 1, u.ID, db.RoleTriager, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	return u
}

func TestSSOSignIn(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		p, o, prov := ssoPortal(t, "existing", false)
		u := p.mustUser(t, "alice@example.org", db.RoleViewer)
		if err := p.DB.SetOrgMember(context.Background(), 1, u.ID, db.RoleTriager, db.ActorSystem); err != nil {
			t.Fatal(err)
		}
		o.addUser("alice", "alice@example.org", true)
		b := p.browser(t)
		if pg := b.get("/login"); !strings.Contains(pg.Body, "Sign in with Example IdP") {
			t.Fatalf("no sign-in button on /login")
		}
		pg, _ := b.ssoSignIn(prov.ID, "alice")
		if pg.Status != http.StatusSeeOther || pg.Location != "/triage" {
			t.Fatalf("callback: %d %q: %s", pg.Status, pg.Location, pg.Body)
		}
		if pg := b.get("/triage"); pg.Status != http.StatusOK {
			t.Fatalf("/triage after sign-in: %d", pg.Status)
		}
		if e := p.lastAudit(t, "login", "login.sso_refused"); e.Action != "login" || e.Target != "alice@example.org" || !strings.Contains(e.Detail, "sso") {
			t.Errorf("audit: %+v", e)
		}
		if strings.Contains(p.logs.String(), o.ClientSecret) {
			t.Error("the client secret is in the log")
		}
	})
	t.Run("ReplayedState", func(t *testing.T) {
		p, o, prov := ssoPortal(t, "existing", false)
		triager(t, p, "alice@example.org")
		o.addUser("alice", "alice@example.org", true)
		b := p.browser(t)
		pg, callback := b.ssoSignIn(prov.ID, "alice")
		if pg.Status != http.StatusSeeOther {
			t.Fatalf("first use: %d", pg.Status)
		}
		// The same callback again, from the same browser and from another.
		for _, c := range []*browser{b, p.browser(t)} {
			pg := c.get(strings.TrimPrefix(callback, p.Server.URL))
			if pg.Status != http.StatusUnauthorized || c.cookie("disclose_session") != "" && c != b {
				t.Fatalf("replayed callback: %d", pg.Status)
			}
		}
		if e := p.lastAudit(t, "login", "login.sso_refused"); e.Action != "login.sso_refused" || !strings.Contains(e.Detail, "state") {
			t.Errorf("audit: %+v", e)
		}
	})
	t.Run("OtherBrowser", func(t *testing.T) {
		// A stranger's own sign-in, finished in the victim's browser (login
		// CSRF): the state is good, but not this browser's.
		p, o, prov := ssoPortal(t, "existing", false)
		p.mustUser(t, "mallory@example.org", db.RoleViewer)
		o.addUser("mallory", "mallory@example.org", true)
		stranger := p.browser(t)
		stranger.get("/login")
		pg := stranger.get("/login/sso/" + itoa(prov.ID))
		victim := p.browser(t)
		// The stranger completes the provider's login and sends the
		// callback link to the victim instead of following it.
		loc := pg.Location
		for !strings.HasPrefix(loc, p.Server.URL) {
			var next page
			if strings.Contains(loc, "/login/username") {
				id := loc[strings.Index(loc, "authRequestID=")+len("authRequestID="):]
				next = stranger.visit(http.MethodPost, o.Issuer+"/login/username", map[string][]string{"id": {id}, "username": {"mallory"}, "password": {"op-password"}})
			} else {
				next = stranger.visit(http.MethodGet, loc, nil)
			}
			loc = next.Location
			if !strings.HasPrefix(loc, "http") {
				loc = o.Issuer + loc
			}
		}
		if pg := victim.get(strings.TrimPrefix(loc, p.Server.URL)); pg.Status != http.StatusUnauthorized {
			t.Fatalf("callback in another browser: %d", pg.Status)
		}
	})
	t.Run("WrongAudience", func(t *testing.T) {
		p, o, prov := ssoPortal(t, "existing", false)
		triager(t, p, "alice@example.org")
		o.addUser("alice", "alice@example.org", true)
		o.setAudience("another-client")
		pg, _ := p.browser(t).ssoSignIn(prov.ID, "alice")
		if pg.Status != http.StatusUnauthorized {
			t.Fatalf("token for another audience: %d", pg.Status)
		}
		if e := p.lastAudit(t, "login", "login.sso_refused"); e.Action != "login.sso_refused" || !strings.Contains(e.Detail, "wrong audience") {
			t.Errorf("audit: %+v", e)
		}
	})
	t.Run("ProviderRefused", func(t *testing.T) {
		// The user cancels at the provider: it sends the browser back with
		// an error and the state.
		p, _, prov := ssoPortal(t, "existing", false)
		b := p.browser(t)
		pg := b.get("/login/sso/" + itoa(prov.ID))
		u, _ := url.Parse(pg.Location)
		state := u.Query().Get("state")
		if pg := b.get("/login/sso/callback?error=access_denied&state=" + url.QueryEscape(state)); pg.Status != http.StatusUnauthorized {
			t.Fatalf("provider error: %d", pg.Status)
		}
		if e := p.lastAudit(t, "login.sso_refused"); !strings.Contains(e.Detail, "provider answered access_denied") {
			t.Errorf("audit: %+v", e)
		}
		// The state was spent by the refusal.
		if pg := b.get("/login/sso/callback?code=x&state=" + url.QueryEscape(state)); pg.Status != http.StatusUnauthorized {
			t.Fatalf("state after a refusal: %d", pg.Status)
		}
		if e := p.lastAudit(t, "login.sso_refused"); !strings.Contains(e.Detail, "state") {
			t.Errorf("audit: %+v", e)
		}
	})
	t.Run("AuthorizedPartyOther", func(t *testing.T) {
		// A token for this portal and another client, issued to the other.
		p, o, prov := ssoPortal(t, "existing", false)
		triager(t, p, "alice@example.org")
		o.addUser("alice", "alice@example.org", true)
		o.setAudience("+another-client")
		pg, _ := p.browser(t).ssoSignIn(prov.ID, "alice")
		if pg.Status != http.StatusUnauthorized {
			t.Fatalf("token issued to another client: %d", pg.Status)
		}
		if e := p.lastAudit(t, "login", "login.sso_refused"); e.Action != "login.sso_refused" || !strings.Contains(e.Detail, "authorized party") {
			t.Errorf("audit: %+v", e)
		}
	})
	refused := func(t *testing.T, roles string, require2FA bool, setup func(p *portal, o *testOP), user, want, reason string) {
		t.Helper()
		p, o, prov := ssoPortal(t, roles, require2FA)
		setup(p, o)
		b := p.browser(t)
		pg, _ := b.ssoSignIn(prov.ID, user)
		if pg.Status != http.StatusForbidden || !strings.Contains(pg.Body, want) {
			t.Fatalf("status %d, want 403 with %q: %s", pg.Status, want, pg.Body)
		}
		if b.cookie("disclose_session") != "" {
			t.Error("a session cookie was set")
		}
		if e := p.lastAudit(t, "login", "login.sso_refused"); e.Action != "login.sso_refused" || !strings.Contains(e.Detail, reason) {
			t.Errorf("audit: %+v", e)
		}
	}
	t.Run("EmailUnverified", func(t *testing.T) {
		refused(t, "existing", false, func(p *portal, o *testOP) {
			triager(t, p, "alice@example.org")
			o.addUser("alice", "alice@example.org", false)
		}, "alice", "verified", "email not verified")
	})
	t.Run("DomainNotAllowed", func(t *testing.T) {
		refused(t, "existing", false, func(p *portal, o *testOP) {
			triager(t, p, "alice@example.com")
			o.addUser("alice", "alice@example.com", true)
		}, "alice", "domain", "domain not allowed: example.com")
	})
	t.Run("SubdomainNotAllowed", func(t *testing.T) {
		refused(t, "existing", false, func(p *portal, o *testOP) {
			o.addUser("alice", "alice@evil.example.org", true)
		}, "alice", "domain", "domain not allowed")
	})
	t.Run("DisabledUser", func(t *testing.T) {
		refused(t, "existing", false, func(p *portal, o *testOP) {
			u := triager(t, p, "alice@example.org")
			if err := p.DB.SetUserDisabled(context.Background(), u.ID, true, db.ActorSystem); err != nil {
				t.Fatal(err)
			}
			o.addUser("alice", "alice@example.org", true)
		}, "alice", "cannot sign you in", "account disabled")
	})
	t.Run("NoAccount", func(t *testing.T) {
		refused(t, "existing", false, func(p *portal, o *testOP) {
			o.addUser("bob", "bob@example.org", true)
		}, "bob", "cannot sign you in", "no account")
	})
	t.Run("OrgProviderNoSiteAdmin", func(t *testing.T) {
		// An organisation's provider cannot sign in the instance's admin,
		// even with the right address.
		refused(t, "existing", false, func(p *portal, o *testOP) {
			p.mustUser(t, "root@example.org", db.RoleAdmin)
			o.addUser("root", "root@example.org", true)
		}, "root", "cannot sign you in", "site admin")
	})
	t.Run("NoGroupNoRole", func(t *testing.T) {
		refused(t, "groups:groups=admin:sec-admins,triager:sec-team", false, func(p *portal, o *testOP) {
			o.addUser("carol", "carol@example.org", true, "marketing")
		}, "carol", "None of your groups", "no group maps")
	})
	t.Run("SecondFactorRequiredNoneSetUp", func(t *testing.T) {
		refused(t, "existing", true, func(p *portal, o *testOP) {
			u := p.mustUser(t, "alice@example.org", db.RoleViewer)
			if err := p.DB.SetOrgMember(context.Background(), 1, u.ID, db.RoleTriager, db.ActorSystem); err != nil {
				t.Fatal(err)
			}
			o.addUser("alice", "alice@example.org", true)
		}, "alice", "second factor", "second factor required")
	})
}

// TestSSOGroups: the groups claim gives the role, creates the account at
// its first sign-in, and follows the provider when the groups change.
func TestSSOGroups(t *testing.T) {
	p, o, prov := ssoPortal(t, "groups:groups=admin:sec-admins,triager:sec-team,viewer:everyone", false)
	o.addUser("dave", "dave@staff.example.org", true, "everyone", "sec-team")
	b := p.browser(t)
	if pg, _ := b.ssoSignIn(prov.ID, "dave"); pg.Status != http.StatusSeeOther {
		t.Fatalf("first sign-in: %d: %s", pg.Status, pg.Body)
	}
	role := func() db.Role {
		t.Helper()
		ms, err := p.DB.OrgMembers(context.Background(), 1)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			if m.User.Email == "dave@staff.example.org" {
				if m.User.HasPassword || m.User.Role == db.RoleAdmin {
					t.Errorf("the account made by sign-in: password %t, users.role %s", m.User.HasPassword, m.User.Role)
				}
				return m.Role
			}
		}
		return ""
	}
	if got := role(); got != db.RoleTriager {
		t.Fatalf("role after first sign-in: %q, want triager (the strongest of the groups)", got)
	}
	o.addUser("dave", "dave@staff.example.org", true, "everyone")
	if pg, _ := p.browser(t).ssoSignIn(prov.ID, "dave"); pg.Status != http.StatusSeeOther {
		t.Fatalf("second sign-in: %d", pg.Status)
	}
	if got := role(); got != db.RoleViewer {
		t.Fatalf("role after the groups changed: %q, want viewer", got)
	}
	// The provider renames the address: the subject still names dave's account.
	o.addUser("dave", "dave2@staff.example.org", true, "everyone")
	if pg, _ := p.browser(t).ssoSignIn(prov.ID, "dave"); pg.Status != http.StatusSeeOther {
		t.Fatalf("sign-in after rename: %d", pg.Status)
	}
	if e := p.lastAudit(t, "login"); e.Target != "dave@staff.example.org" {
		t.Errorf("signed in as %q after the provider renamed the address", e.Target)
	}
}

// TestSSOSecondFactor: with the provider's "own second factor" set, a user
// with TOTP is asked for the code after the provider, and a recovery code
// does as well.
func TestSSOSecondFactor(t *testing.T) {
	p, o, prov := ssoPortal(t, "existing", true)
	p.mustUser(t, "root@example.org", db.RoleAdmin)
	u := p.mustUser(t, "alice@example.org", db.RoleViewer)
	if err := p.DB.SetOrgMember(context.Background(), 1, u.ID, db.RoleTriager, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	setup := p.browser(t)
	setup.mustLogin("alice@example.org")
	secret, codes := enrolTOTP(t, p, setup)
	o.addUser("alice", "alice@example.org", true)

	b := p.browser(t)
	pg, _ := b.ssoSignIn(prov.ID, "alice")
	if pg.Status != http.StatusSeeOther || !strings.HasPrefix(pg.Location, "/login/code") || b.cookie("disclose_session") != "" {
		t.Fatalf("after the provider: %d %q", pg.Status, pg.Location)
	}
	if pg := b.get("/triage"); pg.Status == http.StatusOK {
		t.Fatal("the queue opened before the second factor")
	}
	b.get("/login/code")
	p.clock.Advance(time.Minute)
	code, _ := totp.GenerateCode(secret, p.clock.Now())
	if pg := b.post("/login/code", url.Values{"code": {code}}); pg.Status != http.StatusSeeOther {
		t.Fatalf("code: %d", pg.Status)
	}
	if pg := b.get("/triage"); pg.Status != http.StatusOK {
		t.Fatalf("/triage: %d", pg.Status)
	}
	// A recovery code keeps working after the provider.
	b = p.browser(t)
	b.ssoSignIn(prov.ID, "alice")
	b.get("/login/code")
	if pg := b.post("/login/code", url.Values{"code": {codes[0]}}); pg.Status != http.StatusSeeOther {
		t.Fatalf("recovery code: %d", pg.Status)
	}
}

// TestAdminSSO: the site admin adds a provider in the dashboard; the
// secret is never shown back, also not when the form is refused; the
// sign-in page gets its button; removing it takes the button away.
func TestAdminSSO(t *testing.T) {
	p := newPortal(t)
	p.mustUser(t, "root@example.org", db.RoleAdmin)
	b := p.browser(t)
	b.mustLogin("root@example.org")
	if pg := b.get("/admin/sso"); pg.Status != http.StatusOK || !strings.Contains(pg.Body, p.Server.URL+"/login/sso/callback") {
		t.Fatalf("admin page: %d", pg.Status)
	}
	form := url.Values{"name": {"Keycloak"}, "org": {""}, "issuer": {"https://idp.example.org/realms/staff"}, "client_id": {"disclose"},
		"client_secret": {"s3cret-value-of-the-client"}, "domains": {"example.org"}, "roles": {"groups:groups=admin:boss"}}
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("domains", "not a domain")
	if pg := b.post("/admin/sso", bad); pg.Status != http.StatusUnprocessableEntity || strings.Contains(pg.Body, "s3cret") {
		t.Fatalf("bad form: %d (secret shown back: %t)", pg.Status, strings.Contains(pg.Body, "s3cret"))
	}
	if pg := b.post("/admin/sso", form); pg.Status != http.StatusSeeOther {
		t.Fatalf("add: %d", pg.Status)
	}
	pg := b.get("/admin/sso")
	if !strings.Contains(pg.Body, "Keycloak") || strings.Contains(pg.Body, "s3cret") {
		t.Fatalf("list: has name %t, shows secret %t", strings.Contains(pg.Body, "Keycloak"), strings.Contains(pg.Body, "s3cret"))
	}
	if e := p.lastAudit(t, "sso.provider.add"); !strings.Contains(e.Detail, "for=instance") {
		t.Errorf("audit: %+v", e)
	}
	ps, _ := p.DB.SSOProviders(context.Background())
	if pg := p.browser(t).get("/login"); !strings.Contains(pg.Body, "Sign in with Keycloak") {
		t.Fatal("no button on the sign-in page")
	}
	if pg := b.post("/admin/sso/"+itoa(ps[0].ID)+"/delete", nil); pg.Status != http.StatusSeeOther {
		t.Fatalf("remove: %d", pg.Status)
	}
	if pg := p.browser(t).get("/login"); strings.Contains(pg.Body, "Sign in with Keycloak") {
		t.Fatal("the button stayed")
	}
}
