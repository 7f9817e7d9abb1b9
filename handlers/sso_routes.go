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

// passkeyRoutes are passkeys (passkey.go): the user's own (Staff: every
// handler takes the user from the session, :id is looked up among the
// user's passkeys only) and the sign-ins (public: the assertion is the
// credential), which share the single sign-on rate limit.
func (s *Server) passkeyRoutes() []route {
	limit := s.rateLimit("sso", s.cfg.SSORate)
	return []route{
		{get, "/account/passkeys", Staff, s.passkeysPage, nil},
		{post, "/account/passkeys/begin", Staff, s.passkeyRegisterBegin, nil},
		{post, "/account/passkeys", Staff, s.passkeyRegister, nil},
		{post, "/account/passkeys/:id/name", Staff, s.renamePasskey, nil},
		{post, "/account/passkeys/:id/delete", Staff, s.removePasskey, nil},
		{post, "/login/passkey/begin", Public, s.passkeyLoginBegin, limit},
		{post, "/login/passkey", Public, s.passkeyLogin, limit},
		{post, "/login/code/passkey/begin", Public, s.passkeySecondFactorBegin, limit},
		{post, "/login/code/passkey", Public, s.passkeySecondFactor, limit},
	}
}
