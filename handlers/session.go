package handlers

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/disclose/disclose/db"
	"github.com/labstack/echo/v4"
)

func (s *Server) sessionCookieName() string {
	if s.https() {
		return "__Host-disclose_session" // host-only, Secure, Path=/: no subdomain can plant it
	}
	return "disclose_session"
}

// setSessionCookie sets (maxAge > 0) or clears (maxAge < 0) the session
// cookie. It is a session cookie in the browser's sense when maxAge is 0:
// the server decides expiry, the browser forgets it on quit.
func (s *Server) setSessionCookie(c echo.Context, token string, maxAge int) {
	http.SetCookie(c.Response(), &http.Cookie{Name: s.sessionCookieName(), Value: token, Path: "/",
		MaxAge: maxAge, HttpOnly: true, Secure: s.https(), SameSite: http.SameSiteLaxMode})
}

func (s *Server) sessionToken(c echo.Context) string {
	ck, err := c.Cookie(s.sessionCookieName())
	if err != nil || len(ck.Value) != 43 {
		return ""
	}
	return ck.Value
}

// clientAddr is the address recorded with staff actions.
func clientAddr(c echo.Context) string { return c.RealIP() }

// actor is the audit actor of the signed-in user.
func actor(c echo.Context) db.Actor { return staffUser(c).Actor(clientAddr(c)) }

// localNext accepts only a path on this site as a place to go after login,
// so the login page cannot be used to send people elsewhere.
func localNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") ||
		strings.ContainsAny(next, "\\\r\n\t") {
		return "/triage"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Path == "/login" {
		return "/triage"
	}
	return next
}
