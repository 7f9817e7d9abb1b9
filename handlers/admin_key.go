package handlers

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin/pgp"
	"github.com/disclose/disclose/views"
	"github.com/labstack/echo/v4"
)

// KeyControl unlocks and locks the team key from the dashboard; cmd/disclose
// implements it so that an unlock also decrypts the mail kept pending.
type KeyControl interface {
	Unlock(passphrase []byte) error // pgp.ErrWrongPassphrase for a wrong one
	Lock()
}

// KeyAuditStore writes the audit rows of key actions.
type KeyAuditStore interface {
	AuditKeyAction(ctx context.Context, actor db.Actor, action, fingerprint string) error
}

// SealedIndexStore reports the in-memory search index of sealed reports,
// which the key page and the queue show to admins while it is built.
type SealedIndexStore interface {
	Sealing() bool
	SealedIndex() db.SealedIndexStatus
}

// sealedIndex is the index's state when sealing is on (ok false otherwise).
func (s *Server) sealedIndex() (db.SealedIndexStatus, bool) {
	st, ok := s.store.(SealedIndexStore)
	if !ok || !st.Sealing() {
		return db.SealedIndexStatus{}, false
	}
	return st.SealedIndex(), true
}

// unlockRate bounds passphrase guesses per client: a few typos are fine,
// a guessing run is not.
var unlockRate = RateLimit{PerMinute: 5, Burst: 5}

func (s *Server) keyRoutes(admin *echo.Group) {
	admin.GET("/key", s.adminKey)
	admin.POST("/key/unlock", s.unlockKey, s.rateLimit("key-unlock", unlockRate))
	admin.POST("/key/lock", s.lockKey)
}

func (s *Server) renderKey(c echo.Context, status int, m views.AdminKey) error {
	m.StaffPage = s.staffPage(c, "Team key", "admin")
	if m.Errors == nil {
		m.Errors = db.FieldErrors{}
	}
	if k := s.cfg.TeamKey; k != nil {
		info := k.Info()
		now := time.Now()
		m.HasKey, m.Fingerprint, m.Algorithm, m.UserIDs = true, info.Fingerprint, info.Algorithm, info.UserIDs
		m.CreatedText = info.Created.UTC().Format("2006-01-02")
		m.ExpiresText = "never"
		if !info.Expires.IsZero() {
			m.ExpiresText = info.Expires.UTC().Format("2006-01-02")
			m.Expired = info.Expires.Before(now)
			m.ExpiresSoon = info.ExpiresWithin(now, 30*24*time.Hour)
		}
		m.Unlocked = k.Unlocked()
		m.CanControl = s.cfg.KeyControl != nil
		m.Index, m.Sealing = s.sealedIndex()
	}
	return s.render(c, status, views.AdminKeyView(m))
}

func (s *Server) adminKey(c echo.Context) error {
	notice := map[string]string{"unlocked": "The key is unlocked. Mail kept encrypted is being decrypted now.", "locked": "The key is locked."}[c.QueryParam("done")]
	if _, sealing := s.sealedIndex(); sealing && notice != "" {
		notice += map[string]string{"unlocked": " Sealed reports are being indexed for search (progress below).",
			"locked": " The search index of sealed reports was dropped."}[c.QueryParam("done")]
	}
	return s.renderKey(c, http.StatusOK, views.AdminKey{Notice: notice})
}

// unlockKey reads the passphrase, unlocks, and audits the attempt either way.
func (s *Server) unlockKey(c echo.Context) error {
	if s.cfg.TeamKey == nil || s.cfg.KeyControl == nil {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	r := c.Request()
	pass := r.PostFormValue("passphrase")
	if pass == "" {
		return s.renderKey(c, http.StatusUnprocessableEntity, views.AdminKey{Errors: db.FieldErrors{"passphrase": "Enter the passphrase of the team key."}})
	}
	fpr := s.cfg.TeamKey.Info().Fingerprint
	err := s.cfg.KeyControl.Unlock([]byte(pass))
	if errors.Is(err, pgp.ErrWrongPassphrase) {
		s.auditKey(c, "key.unlock.refused", fpr)
		s.log.Warn("team key unlock refused: wrong passphrase", "user", actor(c).Name, "client", clientAddr(c))
		return s.renderKey(c, http.StatusUnprocessableEntity, views.AdminKey{Errors: db.FieldErrors{"passphrase": "This passphrase is wrong; the key stays locked."}})
	} else if err != nil {
		return err
	}
	if err := s.auditKey(c, "key.unlock", fpr); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin/key?done=unlocked")
}

func (s *Server) lockKey(c echo.Context) error {
	if s.cfg.TeamKey == nil || s.cfg.KeyControl == nil {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	s.cfg.KeyControl.Lock()
	if err := s.auditKey(c, "key.lock", s.cfg.TeamKey.Info().Fingerprint); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin/key?done=locked")
}

func (s *Server) auditKey(c echo.Context, action, fpr string) error {
	st, ok := s.store.(KeyAuditStore)
	if !ok {
		return errors.New("handlers: the store cannot audit key actions")
	}
	return st.AuditKeyAction(c.Request().Context(), actor(c), action, fpr)
}
