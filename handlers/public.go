package handlers

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/disclose/disclose/views"
	"github.com/labstack/echo/v4"
)

func (s *Server) landing(c echo.Context) error {
	ps, err := s.store.Programs(c.Request().Context())
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, views.LandingView(views.Landing{Page: s.page(c, "Report a vulnerability"), Programs: ps}))
}

func (s *Server) policy(c echo.Context) error {
	ctx := c.Request().Context()
	ps, err := s.store.Programs(ctx)
	if err != nil {
		return err
	}
	p := ps[0]
	if slug := c.Param("slug"); slug != "" {
		if p, err = s.store.ProgramBySlug(ctx, slug); err != nil {
			return err
		}
	}
	page := s.page(c, p.Name+" disclosure policy")
	page.PolicyURL = "/policy/" + p.Slug
	return s.render(c, http.StatusOK, views.PolicyView(views.Policy{Page: page, Program: p, Programs: ps}))
}

func (s *Server) healthz(c echo.Context) error {
	if err := s.store.Ping(c.Request().Context()); err != nil {
		s.logFailure(c, "health check failed", "error", err)
		return c.String(http.StatusServiceUnavailable, "database unavailable\n")
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.String(http.StatusOK, "ok\n")
}

// securityTxtLifetime keeps Expires well under the one year RFC 9116 allows;
// it rolls forward on every request.
const securityTxtLifetime = 180 * 24 * time.Hour

// securityTxt serves RFC 9116 security.txt.
func (s *Server) securityTxt(c echo.Context) error {
	var b strings.Builder
	if s.cfg.SecurityEmail != "" {
		fmt.Fprintf(&b, "Contact: mailto:%s\n", s.cfg.SecurityEmail)
	}
	fmt.Fprintf(&b, "Contact: %s\n", s.absURL("/report"))
	fmt.Fprintf(&b, "Expires: %s\n", s.securityTxtExpiry(time.Now()).Format(time.RFC3339))
	if s.cfg.TeamKey != nil {
		fmt.Fprintf(&b, "Encryption: %s\n", s.absURL(keyPath))
	}
	fmt.Fprintf(&b, "Policy: %s\n", s.absURL("/policy"))
	if s.cfg.PreferredLanguages != "" {
		fmt.Fprintf(&b, "Preferred-Languages: %s\n", s.cfg.PreferredLanguages)
	}
	fmt.Fprintf(&b, "Canonical: %s\n", s.absURL("/.well-known/security.txt"))
	text := b.String()
	if s.cfg.TeamKey != nil && s.cfg.TeamKey.Unlocked() {
		// RFC 9116 section 2.3: a cleartext signature by the team key.
		signed, err := s.signed.sign(s.cfg.TeamKey, text)
		if err != nil {
			s.log.Error("sign security.txt", "error", err)
		} else {
			text = signed
		}
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=3600")
	return c.Blob(http.StatusOK, "text/plain; charset=utf-8", []byte(text))
}
