package handlers

// DefaultSSORate bounds sign-ins with a provider per client (begun and
// finished share it): each keeps a row for ten minutes (db.BeginSSOLogin)
// and costs requests to the provider.
var DefaultSSORate = RateLimit{PerMinute: 10, Burst: 20}

// ssoRoutes are single sign-on with OpenID Connect: the sign-in (public: the
// provider's ID token is the credential) and the providers' admin pages
// (site admins only, see adminSSO).
func (s *Server) ssoRoutes() []route {
	return []route{
		{get, ssoCallbackPath, Public, s.ssoCallback, s.rateLimit("sso", s.cfg.SSORate)},
		{get, "/login/sso/:id", Public, s.ssoStart, s.rateLimit("sso", s.cfg.SSORate)},
		{get, "/admin/sso", Admin, s.adminSSO, nil},
		{post, "/admin/sso", Admin, s.addSSO, nil},
		{post, "/admin/sso/:id/delete", Admin, s.removeSSO, nil},
	}
}
