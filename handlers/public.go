package handlers

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/views"
	"github.com/labstack/echo/v4"
)

func (s *Server) landing(c echo.Context) error {
	_, ps, err := s.hostPrograms(c)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, views.LandingView(views.Landing{Page: s.page(c, "Report a vulnerability"), Programs: ps}))
}

func (s *Server) policy(c echo.Context) error {
	_, ps, err := s.hostPrograms(c)
	if err != nil {
		return err
	}
	if len(ps) == 0 {
		return errNoPrograms
	}
	p := ps[0]
	if slug := c.Param("slug"); slug != "" {
		// Only the host's organisation's programs: another's reads as
		// unknown.
		p = nil
		for _, q := range ps {
			if q.Slug == slug {
				p = q
			}
		}
		if p == nil {
			return db.Errorf(db.ENOTFOUND, "Program not found.")
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
// securityTxt is the security.txt of the host's organisation (hostOrg):
// its contact, its pages under its host name, its languages.
func (s *Server) securityTxt(c echo.Context) error {
	o, err := s.hostOrg(c)
	if err != nil {
		return err
	}
	var b strings.Builder
	if contact := s.orgContact(o); contact != "" {
		fmt.Fprintf(&b, "Contact: mailto:%s\n", contact)
	}
	fmt.Fprintf(&b, "Contact: %s\n", s.orgURL(o, "/report"))
	fmt.Fprintf(&b, "Expires: %s\n", s.securityTxtExpiry(time.Now()).Format(time.RFC3339))
	if s.cfg.TeamKey != nil {
		fmt.Fprintf(&b, "Encryption: %s\n", s.orgURL(o, keyPath))
	}
	fmt.Fprintf(&b, "Policy: %s\n", s.orgURL(o, "/policy"))
	fmt.Fprintf(&b, "Acknowledgments: %s\n", s.orgURL(o, "/acknowledgements"))
	if langs := s.orgLanguages(o); langs != "" {
		fmt.Fprintf(&b, "Preferred-Languages: %s\n", langs)
	}
	fmt.Fprintf(&b, "Canonical: %s\n", s.orgURL(o, "/.well-known/security.txt"))
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
