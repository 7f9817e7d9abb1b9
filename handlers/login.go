package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/views"
	"github.com/labstack/echo/v4"
)

func (s *Server) pendingCookieName() string {
	if s.https() {
		return "__Host-disclose_login"
	}
	return "disclose_login"
}

// setPendingCookie carries a login between password and second factor.
func (s *Server) setPendingCookie(c echo.Context, token string, maxAge int) {
	http.SetCookie(c.Response(), &http.Cookie{Name: s.pendingCookieName(), Value: token, Path: "/", // __Host- demands Path=/
		MaxAge: maxAge, HttpOnly: true, Secure: s.https(), SameSite: http.SameSiteStrictMode})
}

func (s *Server) loginForm(c echo.Context) error {
	next := localNext(c.QueryParam("next"))
	if _, err := s.store.UserBySession(c.Request().Context(), s.sessionToken(c)); err == nil {
		return c.Redirect(http.StatusSeeOther, next)
	}
	m := views.Login{Page: s.page(c, "Sign in"), Next: next}
	var err error
	if m.SSO, err = s.ssoButtons(c); err != nil {
		return err
	}
	switch c.QueryParam("done") {
	case "password":
		m.Notice = "Your password is set. Sign in with it now."
	case "out":
		m.Notice = "You are signed out."
	}
	return s.render(c, http.StatusOK, views.LoginView(m))
}

// login checks email and password. Every failure reads the same, whatever
// went wrong; lockouts say when to try again.
func (s *Server) login(c echo.Context) error {
	r := c.Request()
	email, next := r.PostFormValue("email"), localNext(r.PostFormValue("next"))
	m := views.Login{Page: s.page(c, "Sign in"), Email: email, Next: next}
	res, err := s.store.Login(r.Context(), email, r.PostFormValue("password"), clientAddr(c))
	switch {
	case db.ErrorCode(err) == db.ELOCKED:
		s.log.Warn("login refused while locked", "client", clientAddr(c))
		setRetryAfter(c, err)
		m.Error = db.ErrorMessage(err)
		return s.render(c, errorStatus(err), views.LoginView(m))
	case db.ErrorCode(err) == db.EUNAUTHORIZED:
		if res != nil && res.LockedNow {
			s.log.Warn("login locked after repeated failures", "client", clientAddr(c))
			s.cfg.Metrics.SecurityEvent("lockout")
		} else {
			s.log.Warn("login failed", "client", clientAddr(c))
			s.cfg.Metrics.SecurityEvent("login_failed")
		}
		m.Error = db.ErrorMessage(err)
		return s.render(c, errorStatus(err), views.LoginView(m))
	case err != nil:
		return err
	}
	if res.Decoy {
		// Answered like a right password (db.Login): only the log knows.
		s.log.Warn("login failed while the account is under attack", "client", clientAddr(c))
		s.cfg.Metrics.SecurityEvent("login_failed")
	}
	if res.PendingToken != "" {
		s.setPendingCookie(c, res.PendingToken, int(s.pendingLifetime().Seconds()))
		return c.Redirect(http.StatusSeeOther, "/login/code?next="+url.QueryEscape(next))
	}
	s.log.Info("login", "user_id", res.User.ID)
	s.setSessionCookie(c, res.Token, 0)
	return c.Redirect(http.StatusSeeOther, next)
}

// pendingLifetime bounds the pending-login cookie; the server enforces its
// own, shorter expiry (db.AuthPolicy.PendingLifetime).
func (s *Server) pendingLifetime() time.Duration { return 15 * time.Minute }

func (s *Server) pendingToken(c echo.Context) string {
	ck, err := c.Cookie(s.pendingCookieName())
	if err != nil || len(ck.Value) != 43 {
		return ""
	}
	return ck.Value
}

// loginCodeForm asks for the code of a login awaiting it. It does not look
// the login up: a decoy of an account under attack (db.Login) must get the
// same page as a real one.
func (s *Server) loginCodeForm(c echo.Context) error {
	if s.pendingToken(c) == "" {
		return c.Redirect(http.StatusSeeOther, "/login")
	}
	return s.render(c, http.StatusOK, views.LoginCodeView(views.LoginCode{Page: s.page(c, "Two-factor sign-in"),
		Next: localNext(c.QueryParam("next"))}))
}

// loginCode checks the second factor (TOTP or a recovery code) of a login
// whose password was right, and only then starts the session.
func (s *Server) loginCode(c echo.Context) error {
	r := c.Request()
	next := localNext(r.PostFormValue("next"))
	res, err := s.store.LoginSecondFactor(r.Context(), s.pendingToken(c), r.PostFormValue("code"), clientAddr(c))
	m := views.LoginCode{Page: s.page(c, "Two-factor sign-in"), Next: next}
	switch {
	case db.ErrorCode(err) == db.ELOCKED:
		s.log.Warn("second factor refused while locked", "client", clientAddr(c))
		m.Error = db.ErrorMessage(err)
		return s.render(c, errorStatus(err), views.LoginCodeView(m))
	case errors.Is(err, db.ErrCodeWrong):
		if res != nil && res.LockedNow {
			s.log.Warn("login locked after repeated failures", "client", clientAddr(c))
		}
		s.cfg.Metrics.SecurityEvent("login_failed")
		m.Error = db.ErrorMessage(err)
		return s.render(c, errorStatus(err), views.LoginCodeView(m))
	case db.ErrorCode(err) == db.EUNAUTHORIZED:
		// The pending login expired, never existed, or (the account under
		// attack) its password or code was wrong: start again. One answer
		// for all (db.ErrSignInNotFinished).
		s.log.Warn("second factor step not finished", "client", clientAddr(c))
		s.cfg.Metrics.SecurityEvent("login_failed")
		s.setPendingCookie(c, "", -1)
		return s.render(c, http.StatusUnauthorized, views.LoginView(views.Login{Page: s.page(c, "Sign in"), Next: next,
			Error: db.ErrorMessage(db.ErrSignInNotFinished)}))
	case err != nil:
		return err
	}
	s.log.Info("login", "user_id", res.User.ID, "second_factor", true)
	s.setPendingCookie(c, "", -1)
	s.setSessionCookie(c, res.Token, 0)
	return c.Redirect(http.StatusSeeOther, next)
}

func (s *Server) logout(c echo.Context) error {
	if token := s.sessionToken(c); token != "" {
		a := db.Actor{Name: "unknown", ClientAddr: clientAddr(c)}
		if u, err := s.store.UserBySession(c.Request().Context(), token); err == nil {
			a = u.Actor(clientAddr(c))
		}
		if err := s.store.Logout(c.Request().Context(), token, a); err != nil {
			return err
		}
	}
	s.setSessionCookie(c, "", -1)
	return c.Redirect(http.StatusSeeOther, "/login?done=out")
}
