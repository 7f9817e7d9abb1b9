package handlers_test

import (
	"context"
	"crypto/sha256"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"
)

// testOP is a real OpenID provider in the test: zitadel/oidc's op package
// with its example storage and login page, on 127.0.0.1. It signs ID tokens
// with its own RSA key and publishes it at its JWKS endpoint; nothing in it
// answers what the portal asks to hear. Tests change what it asserts of a
// user (email verified, groups) and, for the token-substitution case, the
// audience of the tokens it issues.
type testOP struct {
	Issuer       string
	ClientID     string
	ClientSecret string
	users        *opUsers
	store        *opStorage
}

// opUsers is the provider's user directory.
type opUsers struct {
	mu    sync.Mutex
	users map[string]*storage.User
}

func (u *opUsers) GetUserByID(id string) *storage.User {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.users[id]
}

func (u *opUsers) GetUserByUsername(name string) *storage.User {
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, x := range u.users {
		if x.Username == name {
			return x
		}
	}
	return nil
}

func (u *opUsers) ExampleClientID() string { return "service" }

// opStorage is the example storage, with a groups claim in ID tokens and,
// when audience is set, tokens issued to that client instead of the one
// that asked (what a mixed-up or subverted provider, or a token
// substitution, hands over): the token is real and signed by the
// provider's key, only its audience (and azp) name another client.
type opStorage struct {
	*storage.Storage
	mu       sync.Mutex
	groups   map[string][]string // user ID → groups
	audience string
}

func (s *opStorage) SetUserinfoFromRequest(ctx context.Context, ui *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	if err := s.Storage.SetUserinfoFromRequest(ctx, ui, req, scopes); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if g, ok := s.groups[req.GetSubject()]; ok {
		ui.AppendClaims("groups", g)
	}
	return nil
}

// GetClientByClientID asserts the userinfo claims (email, email_verified,
// name) in the ID token, as Keycloak, Entra ID and Google do by default.
func (s *opStorage) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, err := s.Storage.GetClientByClientID(ctx, id)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return claimsInIDToken{c, strings.TrimPrefix(s.audience, "+")}, nil
}

// claimsInIDToken is the client as the provider sees it; with id set, the
// provider takes it for another client (otherAudience).
type claimsInIDToken struct {
	op.Client
	id string
}

func (claimsInIDToken) IDTokenUserinfoClaimsAssertion() bool { return true }

func (c claimsInIDToken) GetID() string {
	if c.id != "" {
		return c.id
	}
	return c.Client.GetID()
}

func (s *opStorage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	r, err := s.Storage.AuthRequestByCode(ctx, code)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.audience != "" {
		return otherAudience{r, s.audience}, nil
	}
	return r, nil
}

type otherAudience struct {
	op.AuthRequest
	aud string
}

// GetAudience is the other client, or ("+" prefix) both: the token is then
// also for this portal, but was issued to (azp) the other client.
func (o otherAudience) GetAudience() []string {
	if other, ok := strings.CutPrefix(o.aud, "+"); ok {
		return []string{other, o.AuthRequest.GetClientID()}
	}
	return []string{o.aud}
}
func (o otherAudience) GetClientID() string { return strings.TrimPrefix(o.aud, "+") }

// newTestOP starts the provider; redirect is the portal's callback URL.
func newTestOP(t testing.TB, redirect string) *testOP {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	issuer := "http://" + ts.Listener.Addr().String()
	o := &testOP{Issuer: issuer, ClientID: "disclose-portal", ClientSecret: "client-secret-of-the-portal",
		users: &opUsers{users: map[string]*storage.User{}}}
	client := storage.WebClient(o.ClientID, o.ClientSecret, redirect)
	o.store = &opStorage{Storage: storage.NewStorageWithClients(o.users, map[string]*storage.Client{o.ClientID: client}),
		groups: map[string][]string{}}
	// The provider as zitadel's example server builds it, without its
	// request log (it writes to the process's default logger).
	provider, err := op.NewProvider(&op.Config{CryptoKey: sha256.Sum256([]byte("test op")), CodeMethodS256: true,
		AuthMethodPost: true}, o.store, op.StaticIssuer(issuer), op.WithAllowInsecure())
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	// The provider's login page (the client's LoginURL): the user's
	// password, then back to the authorization endpoint's callback.
	mux.Handle("POST /login/username", op.NewIssuerInterceptor(provider.IssuerFromRequest).HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.PostFormValue("id")
		if err := o.store.CheckUsernamePassword(r.PostFormValue("username"), r.PostFormValue("password"), id); err != nil {
			http.Error(w, "wrong username or password", http.StatusForbidden)
			return
		}
		http.Redirect(w, r, op.AuthCallbackURL(provider)(r.Context(), id), http.StatusFound)
	}))
	mux.Handle("/", provider)
	ts.Config.Handler = mux
	ts.Start()
	t.Cleanup(ts.Close)
	return o
}

// addUser puts a user into the provider's directory.
func (o *testOP) addUser(id, email string, verified bool, groups ...string) {
	o.users.mu.Lock()
	o.users.users[id] = &storage.User{ID: id, Username: id, Password: "op-password", FirstName: "Test", LastName: id,
		Email: email, EmailVerified: verified, PreferredLanguage: language.English}
	o.users.mu.Unlock()
	o.store.mu.Lock()
	o.store.groups[id] = groups
	o.store.mu.Unlock()
}

func (o *testOP) setAudience(aud string) {
	o.store.mu.Lock()
	o.store.audience = aud
	o.store.mu.Unlock()
}

// ssoSignIn runs a browser through a sign-in with provider id as user: the
// portal's redirect to the provider, the provider's login page, and back.
// It returns the portal's answer to the callback and the callback URL.
func (b *browser) ssoSignIn(providerID int64, user string) (page, string) {
	b.t.Helper()
	pg := b.get("/login/sso/" + itoa(providerID))
	if pg.Status != http.StatusSeeOther {
		b.t.Fatalf("start: status %d: %s", pg.Status, pg.Body)
	}
	for _, want := range []string{"code_challenge_method=S256", "code_challenge=", "nonce=", "state=", "response_type=code"} {
		if !strings.Contains(pg.Location, want) {
			b.t.Fatalf("the authorization request has no %s: %s", want, pg.Location)
		}
	}
	loc := pg.Location
	for range 10 {
		u, err := url.Parse(loc)
		if err != nil {
			b.t.Fatal(err)
		}
		if strings.HasPrefix(loc, b.p.Server.URL) {
			return b.get(strings.TrimPrefix(loc, b.p.Server.URL)), loc
		}
		if u.Path == "/login/username" {
			// The provider's login page: the user types their password there.
			pg = b.visit(http.MethodPost, u.Scheme+"://"+u.Host+"/login/username", url.Values{
				"id": {u.Query().Get("authRequestID")}, "username": {user}, "password": {"op-password"}})
		} else {
			pg = b.visit(http.MethodGet, loc, nil)
		}
		if pg.Location == "" {
			b.t.Fatalf("provider answered %d at %s: %s", pg.Status, loc, pg.Body)
		}
		loc = pg.Location
		if !strings.HasPrefix(loc, "http") {
			loc = u.Scheme + "://" + u.Host + loc
		}
	}
	b.t.Fatal("too many redirects")
	return page{}, ""
}

// visit is a request to another origin (the provider).
func (b *browser) visit(method, abs string, form url.Values) page {
	b.t.Helper()
	var req *http.Request
	var err error
	if form != nil {
		req, err = http.NewRequest(method, abs, strings.NewReader(form.Encode()))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	} else {
		req, err = http.NewRequest(method, abs, nil)
	}
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}
