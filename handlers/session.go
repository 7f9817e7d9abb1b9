package handlers

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/disclose/disclose/db"
	"github.com/labstack/echo/v4"
)

// staffKey is where requireStaff puts the signed-in *db.User.
const staffKey = "staff"

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

// requireStaff lets a request through only with a valid session; the user
// is then available through staffUser. A browser without one is sent to the
// login page (GET) or refused (anything else: the form's content would be
// lost in a redirect anyway).
func (s *Server) requireStaff(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		u, err := s.store.UserBySession(c.Request().Context(), s.sessionToken(c))
		if db.ErrorCode(err) == db.EUNAUTHORIZED {
			if s.sessionToken(c) != "" {
				s.setSessionCookie(c, "", -1)
			}
			if c.Request().Method == http.MethodGet || c.Request().Method == http.MethodHead {
				return c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(c.Request().URL.RequestURI()))
			}
			return echo.NewHTTPError(http.StatusUnauthorized)
		} else if err != nil {
			return err
		}
		c.Response().Header().Set("Cache-Control", "no-store")
		c.Set(staffKey, u)
		if u.MustEnroll && !strings.HasPrefix(c.Path(), "/account/2fa") && c.Path() != "/account/reauth" {
			// The portal requires a second factor: nothing else until it is set up.
			if c.Request().Method == http.MethodGet {
				return c.Redirect(http.StatusSeeOther, "/account/2fa")
			}
			return echo.NewHTTPError(http.StatusForbidden)
		}
		return next(c)
	}
}

// staffUser is the signed-in user of a request behind requireStaff.
func staffUser(c echo.Context) *db.User {
	u, _ := c.Get(staffKey).(*db.User)
	return u
}

// requireRole refuses users whose role is not listed with a 403 that says
// so: the admin pages are no secret, and a clear answer helps a triager who
// followed a link more than a 404 would.
func (s *Server) requireRole(roles ...db.Role) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			u := staffUser(c)
			if u == nil || !slices.Contains(roles, u.Role) {
				if u != nil {
					s.log.Warn("role refused", "route", c.Path(), "user_id", u.ID, "role", string(u.Role))
				}
				return errForbiddenRole
			}
			return next(c)
		}
	}
}

// errForbiddenRole is the answer to a role that does not reach a route.
var errForbiddenRole = db.Errorf(db.EFORBIDDEN, "Your role does not give access to this page. Ask an admin if you need it.")

// canSeeProgram is THE authorization rule for reports: admins see every
// program, triagers and viewers only the programs they are members of. The
// memberships were read once with the session, so asking is free.
func (s *Server) canSeeProgram(u *db.User, programID int64) bool {
	return u != nil && !u.Disabled && u.MemberOf(programID)
}

// canWriteReports says whether u may change reports (reply, note, state,
// edits) of the programs it can see: viewers only read.
func (s *Server) canWriteReports(u *db.User) bool {
	return u != nil && (u.Role == db.RoleAdmin || u.Role == db.RoleTriager)
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
