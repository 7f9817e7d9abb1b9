package handlers

import (
	"net/http"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/views"
	"github.com/labstack/echo/v4"
)

// setupTitle names the page of a one-time link by what it does.
func setupTitle(purpose string) string {
	switch purpose {
	case db.TokenFirstAdmin:
		return "Create the first admin"
	case db.TokenSetup:
		return "Choose your password"
	}
	return "Reset your password"
}

// setupForm opens a one-time link (first admin, invite, reset). Only POST
// uses it, so a link previewed by a mail scanner still works for its owner.
func (s *Server) setupForm(c echo.Context) error {
	token := c.Param("token")
	ti, err := s.store.TokenInfo(c.Request().Context(), token)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, views.SetupView(views.Setup{Page: s.page(c, setupTitle(ti.Purpose)), Token: token, Info: ti,
		Values: map[string]string{}, Errors: db.FieldErrors{}}))
}

func (s *Server) setup(c echo.Context) error {
	r := c.Request()
	token := c.Param("token")
	in := &db.Redeem{Email: r.PostFormValue("email"), Name: r.PostFormValue("name"),
		Password: r.PostFormValue("password"), Password2: r.PostFormValue("password2")}
	u, err := s.store.RedeemToken(r.Context(), token, in, clientAddr(c))
	if fields := db.ErrorFields(err); fields != nil {
		ti, terr := s.store.TokenInfo(r.Context(), token)
		if terr != nil {
			return terr
		}
		return s.render(c, errorStatus(err), views.SetupView(views.Setup{Page: s.page(c, setupTitle(ti.Purpose)), Token: token, Info: ti,
			Values: map[string]string{"email": in.Email, "name": in.Name}, Errors: fields}))
	} else if err != nil {
		return err
	}
	s.log.Info("password set through one-time link", "user_id", u.ID)
	return c.Redirect(http.StatusSeeOther, "/login?done=password")
}
