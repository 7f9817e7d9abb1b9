package handlers

import (
	"net/http"
	"strconv"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/views"
	"github.com/labstack/echo/v4"
)

// tokenRoutes are the user's own API tokens (Account → API tokens): every
// handler takes the user from the session, and a token id that is not the
// user's is 404.
func (s *Server) tokenRoutes() []route {
	return []route{
		{get, "/account/tokens", Staff, s.tokensPage, nil},
		{post, "/account/tokens", Staff, s.createToken, nil},
		{post, "/account/tokens/:id/revoke", Staff, s.revokeToken, nil}, // :id is one of the user's own tokens
	}
}

func (s *Server) tokensPage(c echo.Context) error {
	m := views.AccountTokens{}
	if c.QueryParam("done") == "revoked" {
		m.Notice = "The token was revoked: it no longer works."
	}
	return s.renderTokens(c, http.StatusOK, &m)
}

func (s *Server) renderTokens(c echo.Context, status int, m *views.AccountTokens) error {
	ctx := c.Request().Context()
	u := staffUser(c)
	m.StaffPage, m.Now, m.ReauthMinutes = s.staffPage(c, "API tokens", ""), s.store.Now(), s.reauthMinutes()
	var err error
	if m.Tokens, err = s.store.APITokens(ctx, u.ID); err != nil {
		return err
	}
	fresh, err := s.reauthFresh(c)
	if err != nil {
		return err
	}
	m.NeedReauth = !fresh
	if m.Orgs, err = s.tokenOrgs(c); err != nil {
		return err
	}
	if m.Values == nil {
		m.Values = map[string]string{"scope": string(db.ScopeRead), "expires": "90"}
	}
	if m.Errors == nil {
		m.Errors = db.FieldErrors{}
	}
	return s.render(c, status, views.AccountTokensView(*m))
}

// tokenOrgs are the organisations a token of the user may be limited to:
// those owning a program the user sees (site admins: all).
func (s *Server) tokenOrgs(c echo.Context) ([]*db.Organisation, error) {
	orgs, err := s.store.Orgs(c.Request().Context())
	if err != nil {
		return nil, err
	}
	programs, err := s.visibleProgramList(c)
	if err != nil {
		return nil, err
	}
	owns := map[int64]bool{}
	for _, p := range programs {
		owns[p.OrgID] = true
	}
	var out []*db.Organisation
	for _, o := range orgs {
		if staffUser(c).IsSiteAdmin() || owns[o.ID] {
			out = append(out, o)
		}
	}
	return out, nil
}

// createToken makes a token, after a recent password confirmation: a
// browser left signed in must not be able to hand out a key that outlives
// its session. The token is shown on this answer only.
func (s *Server) createToken(c echo.Context) error {
	r := c.Request()
	if fresh, err := s.reauthFresh(c); err != nil {
		return err
	} else if !fresh {
		return reauthRedirect(c, "/account/tokens")
	}
	values := map[string]string{"name": r.PostFormValue("name"), "scope": r.PostFormValue("scope"), "org": r.PostFormValue("org"),
		"expires": r.PostFormValue("expires")}
	days, err := strconv.Atoi(values["expires"])
	if err != nil || days < 0 || days > 366 {
		return s.renderTokens(c, http.StatusUnprocessableEntity, &views.AccountTokens{Values: values,
			Errors: db.FieldErrors{"expires": "Choose when the token expires."}})
	}
	u := staffUser(c)
	t, secret, err := s.store.CreateAPIToken(r.Context(), u.ID, db.NewAPIToken{Name: values["name"], Scope: db.APIScope(values["scope"]),
		OrgSlug: values["org"], Expires: time.Duration(days) * 24 * time.Hour}, actor(c))
	if fields := db.ErrorFields(err); fields != nil {
		return s.renderTokens(c, errorStatus(err), &views.AccountTokens{Values: values, Errors: fields})
	} else if err != nil {
		return err
	}
	s.log.Info("api token created", "user_id", u.ID, "token_id", t.ID)
	return s.renderTokens(c, http.StatusOK, &views.AccountTokens{Secret: secret, Created: t})
}

// revokeToken ends one of the user's tokens; another user's id is 404.
func (s *Server) revokeToken(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	if err := s.store.RevokeAPIToken(c.Request().Context(), id, staffUser(c).ID, actor(c)); err != nil {
		return err
	}
	s.log.Info("api token revoked", "user_id", staffUser(c).ID, "token_id", id)
	return c.Redirect(http.StatusSeeOther, "/account/tokens?done=revoked")
}
