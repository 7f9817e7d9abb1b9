package handlers

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/views"
	"github.com/labstack/echo/v4"
	"golang.org/x/oauth2"
)

// ssoCallbackPath is the one redirect URI of every provider: the state
// names the sign-in, and the sign-in its provider.
const ssoCallbackPath = "/login/sso/callback"

// ssoHTTPTimeout bounds each request to a provider (discovery, keys, token).
const ssoHTTPTimeout = 10 * time.Second

// ssoCookieName is the cookie that binds a sign-in under way to the browser
// that began it: without it a stranger could send someone the callback of
// the stranger's own sign-in (login CSRF). Lax, since the provider sends
// the browser back with a top-level GET from its own site.
func (s *Server) ssoCookieName() string {
	if s.https() {
		return "__Host-disclose_sso"
	}
	return "disclose_sso"
}

func (s *Server) setSSOCookie(c echo.Context, value string, maxAge int) {
	http.SetCookie(c.Response(), &http.Cookie{Name: s.ssoCookieName(), Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: s.https(), SameSite: http.SameSiteLaxMode})
}

// ssoButtons are the providers the sign-in page of the request's host
// offers (ssoOffered).
func (s *Server) ssoButtons(c echo.Context) ([]views.SSOButton, error) {
	ps, err := s.store.SSOProviders(c.Request().Context())
	if err != nil {
		return nil, err
	}
	out := make([]views.SSOButton, 0, len(ps))
	for _, p := range ps {
		if ok, err := s.ssoOffered(c, p); err != nil {
			return nil, err
		} else if ok {
			out = append(out, views.SSOButton{ID: p.ID, Name: p.Name})
		}
	}
	return out, nil
}

// ssoOffered says whether the request's host offers provider p: the
// instance's everywhere; an organisation's on its own host names, and on
// the portal's main host only while the organisation has none. A stranger
// reading one tenant's sign-in page thus learns nothing of the tenants that
// have their own host (session 5 review), and a provider is started only
// where its button is shown.
func (s *Server) ssoOffered(c echo.Context, p *db.SSOProvider) (bool, error) {
	if p.OrgID == 0 {
		return true, nil
	}
	host, err := s.hostOrg(c)
	if err != nil {
		return false, err
	}
	if host.ID == p.OrgID {
		return true, nil
	}
	if host.ID != db.DefaultOrgID {
		return false, nil
	}
	o, err := s.store.OrgByID(c.Request().Context(), p.OrgID)
	if db.ErrorCode(err) == db.ENOTFOUND {
		return false, nil
	} else if err != nil {
		return false, err
	}
	return len(o.Hosts) == 0, nil
}

// ssoClient is what the sign-in needs of a provider: its discovery
// document and keys (go-oidc), and the OAuth 2 client.
type ssoClient struct {
	provider *db.SSOProvider
	oidc     *oidc.Provider
	oauth    *oauth2.Config
	ctx      context.Context // carries the bounded HTTP client
}

// ssoClientOf discovers the provider. go-oidc refuses a discovery document
// whose issuer is not the one configured.
func (s *Server) ssoClientOf(ctx context.Context, id int64) (*ssoClient, error) {
	p, err := s.store.SSOProvider(ctx, id)
	if err != nil {
		return nil, err
	}
	secret, err := s.store.SSOClientSecret(ctx, id)
	if err != nil {
		return nil, err
	}
	ctx = oidc.ClientContext(ctx, &http.Client{Timeout: ssoHTTPTimeout})
	op, err := oidc.NewProvider(ctx, p.Issuer)
	if err != nil {
		return nil, fmt.Errorf("handlers: discover sso provider %d: %w", id, err)
	}
	return &ssoClient{provider: p, oidc: op, ctx: ctx, oauth: &oauth2.Config{ClientID: p.ClientID, ClientSecret: secret,
		Endpoint: op.Endpoint(), RedirectURL: s.absURL(ssoCallbackPath),
		Scopes: []string{oidc.ScopeOpenID, "email", "profile"}}}, nil
}

// ssoStart sends the browser to the provider: authorization code flow with
// PKCE (S256), a state and a nonce, all kept server-side (db.BeginSSOLogin).
func (s *Server) ssoStart(c echo.Context) error {
	ctx := c.Request().Context()
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	// Only where its button is shown, and before any request to the
	// provider (discovery) is made on a stranger's behalf.
	if p, err := s.store.SSOProvider(ctx, id); db.ErrorCode(err) == db.ENOTFOUND {
		return echo.NewHTTPError(http.StatusNotFound)
	} else if err != nil {
		return err
	} else if ok, err := s.ssoOffered(c, p); err != nil {
		return err
	} else if !ok {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	cl, err := s.ssoClientOf(ctx, id)
	if db.ErrorCode(err) == db.ENOTFOUND {
		return echo.NewHTTPError(http.StatusNotFound)
	} else if errors.Is(err, db.ErrSSOSecretLost) {
		s.log.Warn("sso provider has no client secret (secrets reset): disclose sso secret", "provider", id)
		return s.ssoRefused(c, http.StatusServiceUnavailable, db.ErrorMessage(err))
	} else if err != nil {
		s.log.Warn("sso provider unreachable", "provider", id, "err", err)
		return s.ssoRefused(c, http.StatusBadGateway, "The identity provider cannot be reached. Try again later, or sign in with your password.")
	}
	next := localNext(c.QueryParam("next"))
	if len(next) > db.MaxSSONext {
		next = "/triage"
	}
	st, err := s.store.BeginSSOLogin(ctx, id, next, clientAddr(c))
	if err != nil {
		return err
	}
	if st.Crowded {
		s.log.Warn("sso sign-ins at the portal's bound: the oldest of the busiest site ended", "client", clientAddr(c))
		s.cfg.Metrics.SecurityEvent("sso_crowded")
	}
	s.setSSOCookie(c, st.Browser, int(db.SSOLoginLifetime.Seconds()))
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.Redirect(http.StatusSeeOther, cl.oauth.AuthCodeURL(st.State, oidc.Nonce(st.Nonce), oauth2.S256ChallengeOption(st.Verifier)))
}

// ssoCallback finishes a sign-in: the state must be one this browser began
// (single use, short-lived), the code is exchanged with the PKCE verifier,
// and the ID token is verified (signature through the provider's keys,
// issuer, audience, expiry) and must carry the nonce. The account rules are
// db.SSOSignIn's. Every refusal is audited.
func (s *Server) ssoCallback(c echo.Context) error {
	ctx := c.Request().Context()
	q := c.QueryParams()
	browser := ""
	if ck, err := c.Cookie(s.ssoCookieName()); err == nil {
		browser = ck.Value
	}
	s.setSSOCookie(c, "", -1)
	pending, err := s.store.TakeSSOLogin(ctx, q.Get("state"), browser)
	if db.ErrorCode(err) == db.EUNAUTHORIZED {
		s.log.Warn("sso callback without a sign-in of this browser", "client", clientAddr(c))
		s.cfg.Metrics.SecurityEvent("login_failed")
		if err := s.store.AuditSSORefusal(ctx, 0, "unknown, used or expired state", clientAddr(c)); err != nil {
			return err
		}
		return s.ssoRefused(c, http.StatusUnauthorized, db.ErrorMessage(err))
	} else if err != nil {
		return err
	}
	refuse := func(reason string, status int, msg string) error {
		s.log.Warn("sso sign-in refused", "provider", pending.ProviderID, "reason", reason, "client", clientAddr(c))
		s.cfg.Metrics.SecurityEvent("login_failed")
		if err := s.store.AuditSSORefusal(ctx, pending.ProviderID, reason, clientAddr(c)); err != nil {
			return err
		}
		return s.ssoRefused(c, status, msg)
	}
	if e := q.Get("error"); e != "" {
		return refuse("provider answered "+errorCode(e), http.StatusUnauthorized, "The identity provider did not sign you in.")
	}
	cl, err := s.ssoClientOf(ctx, pending.ProviderID)
	if db.ErrorCode(err) == db.ENOTFOUND {
		return s.ssoRefused(c, http.StatusUnauthorized, db.ErrorMessage(db.ErrSSOState))
	} else if errors.Is(err, db.ErrSSOSecretLost) {
		return s.ssoRefused(c, http.StatusServiceUnavailable, db.ErrorMessage(err))
	} else if err != nil {
		s.log.Warn("sso provider unreachable", "provider", pending.ProviderID, "err", err)
		return s.ssoRefused(c, http.StatusBadGateway, "The identity provider cannot be reached. Try again later, or sign in with your password.")
	}
	tok, err := cl.oauth.Exchange(cl.ctx, q.Get("code"), oauth2.VerifierOption(pending.Verifier))
	if err != nil {
		s.log.Warn("sso code exchange failed", "provider", pending.ProviderID, "err", err)
		return refuse("code exchange failed", http.StatusUnauthorized, "The identity provider did not confirm the sign-in. Start again.")
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return refuse("no id token", http.StatusUnauthorized, "The identity provider did not confirm the sign-in. Start again.")
	}
	idt, err := cl.oidc.Verifier(&oidc.Config{ClientID: cl.provider.ClientID}).Verify(cl.ctx, raw)
	if err != nil {
		s.log.Warn("sso id token refused", "provider", pending.ProviderID, "err", err)
		return refuse("id token refused: "+ssoTokenProblem(err), http.StatusUnauthorized, "The identity provider's answer could not be verified. Start again.")
	}
	// OpenID Connect Core 3.1.3.7: a token for several audiences names
	// the party it was issued to (azp), and that must be this client.
	var azp struct {
		AZP string `json:"azp"`
	}
	if err := idt.Claims(&azp); err != nil || (azp.AZP != "" && azp.AZP != cl.provider.ClientID) || (len(idt.Audience) > 1 && azp.AZP == "") {
		return refuse("id token refused: wrong authorized party", http.StatusUnauthorized, "The identity provider's answer could not be verified. Start again.")
	}
	if idt.Nonce == "" || !constantTimeEqual(idt.Nonce, pending.Nonce) {
		return refuse("id token nonce mismatch", http.StatusUnauthorized, "The identity provider's answer could not be verified. Start again.")
	}
	claims, err := ssoClaimsOf(idt, cl.provider.GroupsClaim)
	if err != nil {
		return refuse("id token claims unreadable", http.StatusUnauthorized, "The identity provider's answer could not be read. Start again.")
	}
	res, err := s.store.SSOSignIn(ctx, pending.ProviderID, claims, clientAddr(c))
	if db.ErrorCode(err) == db.EFORBIDDEN {
		s.log.Warn("sso sign-in refused", "provider", pending.ProviderID, "client", clientAddr(c))
		s.cfg.Metrics.SecurityEvent("login_failed")
		return s.ssoRefused(c, http.StatusForbidden, db.ErrorMessage(err))
	} else if err != nil {
		return err
	}
	if res.PendingToken != "" {
		s.setPendingCookie(c, res.PendingToken, int(s.pendingLifetime().Seconds()))
		return c.Redirect(http.StatusSeeOther, "/login/code?next="+url.QueryEscape(pending.Next))
	}
	s.log.Info("login", "user_id", res.User.ID, "sso_provider", pending.ProviderID)
	s.setSessionCookie(c, res.Token, 0)
	return c.Redirect(http.StatusSeeOther, pending.Next)
}

// ssoClaimsOf reads the claims the account rules need. email_verified must
// be a JSON true; the groups claim may be a list or one string.
func ssoClaimsOf(idt *oidc.IDToken, groupsClaim string) (db.SSOClaims, error) {
	var std struct {
		Email         string `json:"email"`
		EmailVerified any    `json:"email_verified"`
		Name          string `json:"name"`
	}
	if err := idt.Claims(&std); err != nil {
		return db.SSOClaims{}, err
	}
	verified, _ := std.EmailVerified.(bool)
	cl := db.SSOClaims{Subject: idt.Subject, Email: std.Email, EmailVerified: verified, Name: std.Name}
	if groupsClaim != "" {
		var all map[string]any
		if err := idt.Claims(&all); err != nil {
			return db.SSOClaims{}, err
		}
		switch v := all[groupsClaim].(type) {
		case string:
			cl.Groups = []string{v}
		case []any:
			for _, g := range v {
				if s, ok := g.(string); ok {
					cl.Groups = append(cl.Groups, s)
				}
			}
		}
	}
	return cl, nil
}

// ssoTokenProblem names what was wrong with a token for the audit log,
// without the token.
func ssoTokenProblem(err error) string {
	var expired *oidc.TokenExpiredError
	switch {
	case errors.As(err, &expired):
		return "expired"
	case containsAny(err.Error(), "audience"):
		return "wrong audience"
	case containsAny(err.Error(), "issuer"):
		return "wrong issuer"
	case containsAny(err.Error(), "signature"):
		return "bad signature"
	}
	return "invalid"
}

func (s *Server) ssoRefused(c echo.Context, status int, msg string) error {
	buttons, err := s.ssoButtons(c)
	if err != nil {
		return err
	}
	return s.render(c, status, views.LoginView(views.Login{Page: s.page(c, "Sign in"), Next: "/triage", Error: msg, SSO: buttons}))
}

// errorCode is the provider's error parameter as the audit log keeps it:
// an OAuth error code is a few lower-case words (RFC 6749 4.1.2.1); the
// parameter comes through the browser, so anything else is not recorded.
func errorCode(e string) string {
	if len(e) > 40 || strings.Trim(e, "abcdefghijklmnopqrstuvwxyz_") != "" {
		return "(not an error code)"
	}
	return e
}

func constantTimeEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

func containsAny(s string, words ...string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}
