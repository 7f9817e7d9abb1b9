package handlers

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"
)

const csrfField = "csrf"

var errCSRF = echo.NewHTTPError(http.StatusForbidden, "csrf")

func (s *Server) csrfCookieName() string {
	if s.https() {
		return "__Host-disclose_csrf" // cannot be set by a sibling subdomain
	}
	return "disclose_csrf"
}

// csrf is a double-submit token: a random value in an HttpOnly cookie that
// every unsafe request must repeat in its form. A browser's Sec-Fetch-Site
// header, when sent, must also say the request came from this site.
//
// The cookie lives 30 days and the token does not change while it lives, so
// a researcher who spends an afternoon on a report can still send it.
func (s *Server) csrf(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if isAPI(c) {
			return next(c) // bearer tokens only there: nothing a browser sends by itself (api_access.go)
		}
		r := c.Request()
		token := ""
		if ck, err := r.Cookie(s.csrfCookieName()); err == nil && len(ck.Value) == 43 {
			token = ck.Value
		}
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
		default:
			if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
				s.log.Warn("csrf refused", "route", c.Path(), "reason", "cross-site request")
				s.cfg.Metrics.SecurityEvent("csrf")
				return errCSRF
			}
			check := func(form url.Values) error {
				sent := form.Get(csrfField)
				if token == "" || subtle.ConstantTimeCompare([]byte(sent), []byte(token)) != 1 {
					s.log.Warn("csrf refused", "route", c.Path(), "reason", csrfReason(token, sent))
					s.cfg.Metrics.SecurityEvent("csrf")
					return errCSRF
				}
				return nil
			}
			err := s.parseForm(c, check)
			if up, _ := c.Get(uploadsKey).(*uploads); up != nil {
				defer up.close()
			}
			if err == errCSRF {
				return err
			} else if err != nil {
				if refused := s.bodyRefusal(c); refused != nil {
					return refused
				}
				return err
			}
		}
		if token == "" {
			buf := make([]byte, 32)
			if _, err := rand.Read(buf); err != nil {
				return err
			}
			token = base64.RawURLEncoding.EncodeToString(buf)
			http.SetCookie(c.Response(), &http.Cookie{Name: s.csrfCookieName(), Value: token, Path: "/",
				MaxAge: 30 * 24 * 3600, HttpOnly: true, Secure: s.https(), SameSite: http.SameSiteLaxMode})
		}
		c.Set(csrfField, token)
		return next(c)
	}
}

func csrfReason(cookie, sent string) string {
	switch {
	case cookie == "":
		return "no cookie"
	case sent == "":
		return "no token in form"
	}
	return "token mismatch"
}

// parseForm reads the form of c's request and runs check on its fields. A
// multipart form is read as a stream (readMultipart): its files go to
// spools, and check runs before any file is kept. Any other form is read
// whole (net/http's ParseForm), up to its route's form limit for strangers' forms
// (bodybudget_forms.go) and MaxBody otherwise.
func (s *Server) parseForm(c echo.Context, check func(url.Values) error) error {
	r := c.Request()
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		return s.readMultipart(c, check)
	}
	err := r.ParseForm()
	var tooLarge *http.MaxBytesError
	switch {
	case err == nil:
		return check(r.PostForm)
	case errors.As(err, &tooLarge), strings.Contains(err.Error(), "request body too large"):
		return echo.NewHTTPError(http.StatusRequestEntityTooLarge)
	default:
		return echo.NewHTTPError(http.StatusBadRequest, "The form could not be read.")
	}
}

func csrfToken(c echo.Context) string {
	t, _ := c.Get(csrfField).(string)
	return t
}
