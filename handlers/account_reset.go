package handlers

import (
	"net/http"
	"net/mail"
	"strings"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/views"
	"github.com/labstack/echo/v4"
)

// DefaultResetRate bounds "forgot your password?" requests per client
// network (IPv4 address, IPv6 /64): a few a day are normal, a run through a
// list of addresses is not. Each address has its own, smaller budget in db
// (AuthPolicy.ResetPerAddress), which an address typed from many networks
// cannot outrun.
var DefaultResetRate = RateLimit{PerMinute: 10.0 / 60, Burst: 10}

// ResetMailer composes the mail that carries a password reset link to the
// address typed on the form (mailin.Notifier implements it).
type ResetMailer interface {
	ResetMail(to, token string, life time.Duration) (*db.OutMail, error)
}

func (s *Server) forgotForm(c echo.Context) error {
	m := views.Forgot{Page: s.page(c, "Forgot your password?"), Errors: db.FieldErrors{}, Sent: c.QueryParam("sent") != ""}
	return s.render(c, http.StatusOK, views.ForgotView(m))
}

// forgot queues a reset link for the address (db.RequestPasswordReset) and
// answers with the same redirect whether or not it is an account, may sign
// in, or was asked for too often. Only an address that is not an address
// at all gets a different answer, which tells nothing about accounts.
func (s *Server) forgot(c echo.Context) error {
	r := c.Request()
	email := strings.TrimSpace(r.PostFormValue("email"))
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email || len(email) > 254 {
		return s.render(c, http.StatusUnprocessableEntity, views.ForgotView(views.Forgot{Page: s.page(c, "Forgot your password?"),
			Email: email, Errors: db.FieldErrors{"email": "Enter an email address like alice@example.org."}}))
	}
	// The link and its mail are made for every request, account or not
	// (db sends it only to an account), so the work is the same.
	link := db.ResetLink{}
	var err error
	if link.Token, err = db.NewResetToken(); err != nil {
		return err
	}
	if s.cfg.ResetMail != nil {
		if link.Mail, err = s.cfg.ResetMail.ResetMail(email, link.Token, s.store.Auth.SetupLinkLifetime); err != nil {
			return err
		}
	}
	if err := s.store.RequestPasswordReset(r.Context(), email, clientAddr(c), link); err != nil {
		return err
	}
	// The address is not logged: the audit log says what came of it.
	s.log.Info("password reset requested", "client", clientAddr(c))
	return c.Redirect(http.StatusSeeOther, "/login/forgot?sent=1")
}
