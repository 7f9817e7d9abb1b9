package handlers

import (
	"bytes"
	"errors"
	"image/png"
	"net/http"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/views"
	"github.com/labstack/echo/v4"
	"github.com/pquerna/otp"
)

// twoFactor shows the user's second-factor status, or the enrolment (a new
// secret is made only when none is pending, so reloading keeps the QR code).
func (s *Server) twoFactor(c echo.Context) error {
	return s.renderTwoFactor(c, http.StatusOK, "")
}

func (s *Server) renderTwoFactor(c echo.Context, status int, msg string) error {
	ctx := c.Request().Context()
	u := staffUser(c)
	m := views.TwoFactor{StaffPage: s.staffPage(c, "Two-factor sign-in", ""), Enabled: u.TOTPEnabled, Error: msg, Required: u.MustEnroll}
	if u.TOTPEnabled {
		n, err := s.store.RecoveryCodesLeft(ctx, u.ID)
		if err != nil {
			return err
		}
		m.CodesLeft = n
		return s.render(c, status, views.TwoFactorView(m))
	}
	enr, err := s.store.PendingTOTP(ctx, u.ID)
	if db.ErrorCode(err) == db.ENOTFOUND {
		enr, err = s.store.StartTOTP(ctx, u.ID)
	}
	if err != nil {
		return err
	}
	m.Secret, m.URL = enr.Secret, enr.URL
	return s.render(c, status, views.TwoFactorView(m))
}

// twoFactorQR serves the enrolment QR code from this origin: the CSP allows
// images from 'self' only, and the secret never goes to a third party.
func (s *Server) twoFactorQR(c echo.Context) error {
	enr, err := s.store.PendingTOTP(c.Request().Context(), staffUser(c).ID)
	if err != nil {
		return err
	}
	key, err := otp.NewKeyFromURL(enr.URL)
	if err != nil {
		return err
	}
	img, err := key.Image(200, 200)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.Blob(http.StatusOK, "image/png", buf.Bytes())
}

func (s *Server) confirmTwoFactor(c echo.Context) error {
	u := staffUser(c)
	codes, err := s.store.ConfirmTOTP(c.Request().Context(), u.ID, c.Request().PostFormValue("code"), actor(c))
	if errors.Is(err, db.ErrCodeWrong) {
		return s.renderTwoFactor(c, http.StatusUnprocessableEntity, "That code is not right. Check the time on your device and enter the code the app shows now.")
	} else if err != nil {
		return err
	}
	s.log.Info("second factor enabled", "user_id", u.ID)
	u.TOTPEnabled, u.MustEnroll = true, false
	return s.render(c, http.StatusOK, views.TwoFactorView(views.TwoFactor{StaffPage: s.staffPage(c, "Two-factor sign-in", ""),
		Enabled: true, Codes: codes}))
}
