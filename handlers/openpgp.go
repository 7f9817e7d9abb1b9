package handlers

import (
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/disclose/disclose/mailin/pgp"
	"github.com/labstack/echo/v4"
)

// TeamKey is what the web side needs of the team's OpenPGP key.
type TeamKey interface {
	Info() pgp.KeyInfo
	ArmoredPublic() (string, error)
	PublicBinary() ([]byte, error)
	SignCleartext(text string) (string, error)
	Unlocked() bool
}

// keyPath is the key's stable URL, named in security.txt and on the pages.
const keyPath = "/pgp-key.asc"

func (s *Server) publicKey(c echo.Context) error {
	if s.cfg.TeamKey == nil {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	pub, err := s.cfg.TeamKey.ArmoredPublic()
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=3600")
	return c.Blob(http.StatusOK, "application/pgp-keys", []byte(pub))
}

// wkdPolicy answers the Web Key Directory policy file (direct method): its
// presence says the domain publishes keys this way.
func (s *Server) wkdPolicy(c echo.Context) error {
	if s.cfg.TeamKey == nil || s.cfg.SecurityEmail == "" {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	c.Response().Header().Set("Access-Control-Allow-Origin", "*")
	return c.Blob(http.StatusOK, "text/plain; charset=utf-8", nil)
}

// wkdKey serves the binary key for the security address's hashed local part.
func (s *Server) wkdKey(c echo.Context) error {
	if s.cfg.TeamKey == nil || s.cfg.SecurityEmail == "" {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	local, _, _ := strings.Cut(s.cfg.SecurityEmail, "@")
	if c.Param("hash") != pgp.WKDHash(local) {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	bin, err := s.cfg.TeamKey.PublicBinary()
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Cache-Control", "public, max-age=3600")
	return c.Blob(http.StatusOK, "application/octet-stream", bin)
}

// signedCache keeps the last signed security.txt: its text changes once a
// day (Expires), and signing on every request would be wasted work.
type signedCache struct {
	mu           sync.Mutex
	text, signed string
}

func (sc *signedCache) sign(k TeamKey, text string) (string, error) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.text == text && sc.signed != "" {
		return sc.signed, nil
	}
	signed, err := k.SignCleartext(text)
	if err != nil {
		return "", err
	}
	sc.text, sc.signed = text, signed
	return signed, nil
}

// securityTxtExpiry rolls Expires forward but never past the key's expiry,
// so security.txt never points to a dead key.
func (s *Server) securityTxtExpiry(now time.Time) time.Time {
	exp := now.UTC().Add(securityTxtLifetime).Truncate(24 * time.Hour)
	if s.cfg.TeamKey != nil {
		if ke := s.cfg.TeamKey.Info().Expires; !ke.IsZero() && ke.Before(exp) {
			exp = ke.UTC().Truncate(time.Second)
		}
	}
	return exp
}
