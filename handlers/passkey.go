package handlers

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"net/http"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/views"
	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/labstack/echo/v4"
)

// Passkeys (WebAuthn, go-webauthn): a second factor beside TOTP, and a
// sign-in without password for accounts that registered one. The relying
// party is the portal's host (its base URL); only its origin is accepted,
// so an assertion made for another site is refused. Ceremonies keep their
// challenge server-side (db.BeginPasskey), bound to a cookie of the browser
// and good once. static/passkey.js asks the authenticator; everything else
// works without JavaScript.

// maxCredentialJSON bounds the credential a form may carry.
const maxCredentialJSON = 64 << 10

// errNoPasskeys answers a passkey ceremony on a portal served on an IP
// address: WebAuthn's relying party ID must be a host name.
var errNoPasskeys = db.Errorf(db.ECONFLICT, "Passkeys need the portal on a host name (its base URL), not an IP address.")

func (s *Server) webAuthn() (*webauthn.WebAuthn, error) {
	origin := s.cfg.BaseURL.Scheme + "://" + s.cfg.BaseURL.Host
	wa, err := webauthn.New(&webauthn.Config{RPID: s.cfg.BaseURL.Hostname(), RPDisplayName: "disclose", RPOrigins: []string{origin}})
	if err != nil {
		return nil, errNoPasskeys
	}
	return wa, nil
}

// passkeyJSONError answers a ceremony's start that cannot go on, for
// static/passkey.js to show.
func passkeyJSONError(c echo.Context, err error) error {
	if db.ErrorCode(err) == db.ECONFLICT {
		return c.JSON(http.StatusConflict, map[string]string{"error": db.ErrorMessage(err)})
	}
	return err
}

// passkeyUser is an account as go-webauthn sees it. The user handle is the
// account's id: opaque, stable, no personal data.
type passkeyUser struct {
	u     *db.User
	creds []webauthn.Credential
}

func userHandle(id int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(id)) }

func (p *passkeyUser) WebAuthnID() []byte                         { return userHandle(p.u.ID) }
func (p *passkeyUser) WebAuthnName() string                       { return p.u.Email }
func (p *passkeyUser) WebAuthnDisplayName() string                { return p.u.DisplayName() }
func (p *passkeyUser) WebAuthnCredentials() []webauthn.Credential { return p.creds }

// passkeyUserOf loads the account's passkeys.
func (s *Server) passkeyUserOf(c echo.Context, u *db.User) (*passkeyUser, error) {
	keys, err := s.store.Passkeys(c.Request().Context(), u.ID)
	if err != nil {
		return nil, err
	}
	pu := &passkeyUser{u: u}
	for _, k := range keys {
		var cred webauthn.Credential
		if err := json.Unmarshal([]byte(k.Credential), &cred); err != nil {
			return nil, err
		}
		pu.creds = append(pu.creds, cred)
	}
	return pu, nil
}

func (s *Server) passkeyCookieName() string {
	if s.https() {
		return "__Host-disclose_webauthn"
	}
	return "disclose_webauthn"
}

// beginPasskey stores the session data of a ceremony, sets its cookie and
// answers the options for navigator.credentials as JSON.
func (s *Server) beginPasskey(c echo.Context, userID int64, purpose string, options any, session *webauthn.SessionData) error {
	raw, err := json.Marshal(session)
	if err != nil {
		return err
	}
	token, crowded, err := s.store.BeginPasskey(c.Request().Context(), userID, purpose, string(raw), clientAddr(c))
	if err != nil {
		return err
	}
	if crowded {
		s.log.Warn("passkey sign-ins at the portal's bound: the oldest of the busiest network ended", "client", clientAddr(c))
		s.cfg.Metrics.SecurityEvent("passkey_crowded")
	}
	http.SetCookie(c.Response(), &http.Cookie{Name: s.passkeyCookieName(), Value: token, Path: "/", MaxAge: int(db.PasskeyChallengeLifetime.Seconds()),
		HttpOnly: true, Secure: s.https(), SameSite: http.SameSiteStrictMode})
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, options)
}

// takePasskey ends the browser's ceremony of purpose.
func (s *Server) takePasskey(c echo.Context, purpose string) (int64, *webauthn.SessionData, error) {
	token := ""
	if ck, err := c.Cookie(s.passkeyCookieName()); err == nil {
		token = ck.Value
	}
	http.SetCookie(c.Response(), &http.Cookie{Name: s.passkeyCookieName(), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.https(), SameSite: http.SameSiteStrictMode})
	userID, raw, err := s.store.TakePasskey(c.Request().Context(), token, purpose)
	if err != nil {
		return 0, nil, err
	}
	var session webauthn.SessionData
	if err := json.Unmarshal([]byte(raw), &session); err != nil {
		return 0, nil, err
	}
	return userID, &session, nil
}

// credentialField is the authenticator's answer as static/passkey.js put
// it in the form.
func credentialField(c echo.Context) []byte {
	v := c.Request().PostFormValue("credential")
	if len(v) > maxCredentialJSON {
		return nil
	}
	return []byte(v)
}

// passkeyLoginBegin starts a sign-in without password: the authenticator
// offers the passkeys it holds for this site and must verify the user (PIN,
// biometrics): possession and verification make it two factors.
func (s *Server) passkeyLoginBegin(c echo.Context) error {
	wa, err := s.webAuthn()
	if err != nil {
		return passkeyJSONError(c, err)
	}
	opts, session, err := wa.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return err
	}
	return s.beginPasskey(c, 0, db.PasskeyLogin, opts, session)
}

// passkeyLogin finishes a sign-in without password.
func (s *Server) passkeyLogin(c echo.Context) error {
	next := localNext(c.Request().PostFormValue("next"))
	_, session, err := s.takePasskey(c, db.PasskeyLogin)
	if err != nil {
		return s.passkeyRefused(c, 0, "ceremony unknown, used or expired", next)
	}
	wa, err := s.webAuthn()
	if err != nil {
		return err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(credentialField(c))
	if err != nil {
		return s.passkeyRefused(c, 0, "assertion unreadable", next)
	}
	var owner int64
	handler := func(rawID, handle []byte) (webauthn.User, error) {
		k, err := s.store.PasskeyByCredentialID(c.Request().Context(), rawID)
		if err != nil {
			return nil, err
		}
		if !bytes.Equal(handle, userHandle(k.UserID)) {
			return nil, db.ErrPasskeyCeremony
		}
		u, err := s.store.UserByID(c.Request().Context(), k.UserID)
		if err != nil {
			return nil, err
		}
		owner = u.ID
		return s.passkeyUserOf(c, u)
	}
	_, cred, err := wa.ValidatePasskeyLogin(handler, *session, parsed)
	if err != nil {
		return s.passkeyRefused(c, owner, "assertion refused", next)
	}
	return s.passkeySignedIn(c, owner, cred, "", next)
}

// passkeySecondFactorBegin asks for a passkey as the second factor of a
// pending login (/login/code). It does not look the login up, and asks for
// any passkey of this site (no list of credentials): the answer is the same
// for a right password, a decoy of an account under attack (db.Login) and
// an expired login, so this step tells no one whether the password was
// right. The finish checks that the passkey is the pending account's.
func (s *Server) passkeySecondFactorBegin(c echo.Context) error {
	wa, err := s.webAuthn()
	if err != nil {
		return passkeyJSONError(c, err)
	}
	opts, session, err := wa.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationPreferred))
	if err != nil {
		return err
	}
	return s.beginPasskey(c, 0, db.PasskeySecondFactor, opts, session)
}

// passkeySecondFactor finishes the pending login with one of its account's
// passkeys.
func (s *Server) passkeySecondFactor(c echo.Context) error {
	next := localNext(c.Request().PostFormValue("next"))
	_, session, err := s.takePasskey(c, db.PasskeySecondFactor)
	if err != nil {
		return s.passkeyCodeRefused(c, 0, "ceremony unknown, used or expired", next)
	}
	u, err := s.store.UserByPendingSession(c.Request().Context(), s.pendingToken(c))
	if err != nil {
		return s.passkeyCodeRefused(c, 0, "no pending sign-in", next)
	}
	wa, err := s.webAuthn()
	if err != nil {
		return err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(credentialField(c))
	if err != nil {
		return s.passkeyCodeRefused(c, u.ID, "assertion unreadable", next)
	}
	handler := func(rawID, handle []byte) (webauthn.User, error) {
		if !bytes.Equal(handle, userHandle(u.ID)) {
			return nil, db.ErrPasskeyCeremony // a passkey of another account
		}
		return s.passkeyUserOf(c, u)
	}
	cred, err := wa.ValidateDiscoverableLogin(handler, *session, parsed)
	if err != nil {
		return s.passkeyCodeRefused(c, u.ID, "assertion refused", next)
	}
	return s.passkeySignedIn(c, u.ID, cred, s.pendingToken(c), next)
}

// passkeySignedIn refuses a passkey whose signature counter did not go up
// (a cloned authenticator, or a replayed assertion), then starts the
// session with the credential's new counter recorded.
func (s *Server) passkeySignedIn(c echo.Context, userID int64, cred *webauthn.Credential, pending, next string) error {
	if cred.Authenticator.CloneWarning {
		s.log.Warn("passkey signature counter went back: possible clone", "user_id", userID)
		if pending != "" {
			return s.passkeyCodeRefused(c, userID, "signature counter did not increase (clone?)", next)
		}
		return s.passkeyRefused(c, userID, "signature counter did not increase (clone?)", next)
	}
	raw, err := json.Marshal(cred)
	if err != nil {
		return err
	}
	res, err := s.store.PasskeySignIn(c.Request().Context(), userID, cred.ID, string(raw), pending, clientAddr(c))
	if db.ErrorCode(err) == db.EUNAUTHORIZED && pending != "" {
		return s.passkeyCodeRefused(c, userID, "pending sign-in ended or account cannot sign in", next)
	} else if db.ErrorCode(err) == db.EUNAUTHORIZED {
		return s.passkeyRefused(c, userID, "account cannot sign in", next)
	} else if err != nil {
		return err
	}
	s.log.Info("login", "user_id", res.User.ID, "passkey", true)
	if pending != "" {
		s.setPendingCookie(c, "", -1)
	}
	s.setSessionCookie(c, res.Token, 0)
	return c.Redirect(http.StatusSeeOther, next)
}

func (s *Server) passkeyRefused(c echo.Context, userID int64, reason, next string) error {
	s.log.Warn("passkey sign-in refused", "reason", reason, "client", clientAddr(c))
	s.cfg.Metrics.SecurityEvent("login_failed")
	if err := s.store.AuditPasskeyRefusal(c.Request().Context(), userID, reason, clientAddr(c)); err != nil {
		return err
	}
	buttons, err := s.ssoButtons(c)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusUnauthorized, views.LoginView(views.Login{Page: s.page(c, "Sign in"), Next: next,
		Error: db.ErrorMessage(db.ErrPasskeyCeremony), SSO: buttons}))
}

// passkeyCodeRefused answers a refused passkey of the second-factor step
// with that step's page: the pending login stays, the code still works.
func (s *Server) passkeyCodeRefused(c echo.Context, userID int64, reason, next string) error {
	s.log.Warn("passkey second factor refused", "reason", reason, "client", clientAddr(c))
	s.cfg.Metrics.SecurityEvent("login_failed")
	if err := s.store.AuditPasskeyRefusal(c.Request().Context(), userID, reason, clientAddr(c)); err != nil {
		return err
	}
	return s.render(c, http.StatusUnauthorized, views.LoginCodeView(views.LoginCode{Page: s.page(c, "Two-factor sign-in"), Next: next,
		Error: db.ErrorMessage(db.ErrPasskeyCeremony)}))
}
