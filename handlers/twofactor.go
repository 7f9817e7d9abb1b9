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
// Setting one up or replacing it needs the password typed recently: the
// secret is shown only then.
func (s *Server) twoFactor(c echo.Context) error {
	return s.renderTwoFactor(c, http.StatusOK, "")
}

func (s *Server) renderTwoFactor(c echo.Context, status int, msg string) error {
	ctx := c.Request().Context()
	u := staffUser(c)
	fresh, err := s.reauthFresh(c)
	if err != nil {
		return err
	}
	m := views.TwoFactor{StaffPage: s.staffPage(c, "Two-factor sign-in", ""), Enabled: u.TOTPEnabled, Error: msg, Required: u.MustEnroll,
		NeedReauth: !fresh, ReauthMinutes: s.reauthMinutes()}
	if u.TOTPEnabled || !fresh {
		if u.TOTPEnabled {
			if m.CodesLeft, err = s.store.RecoveryCodesLeft(ctx, u.ID); err != nil {
				return err
			}
		}
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
	if fresh, err := s.reauthFresh(c); err != nil {
		return err
	} else if !fresh {
		return echo.NewHTTPError(http.StatusNotFound)
	}
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
	if fresh, err := s.reauthFresh(c); err != nil {
		return err
	} else if !fresh {
		return reauthRedirect(c, "/account/2fa")
	}
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

// replaceTwoFactor turns the user's second factor off so that a new device
// can be set up at once; it needs a recent password (db.ReplaceTOTP), and
// ends the user's other sessions.
func (s *Server) replaceTwoFactor(c echo.Context) error {
	u := staffUser(c)
	err := s.store.ReplaceTOTP(c.Request().Context(), s.sessionToken(c), actor(c))
	if errors.Is(err, db.ErrReauthRequired) {
		return reauthRedirect(c, "/account/2fa")
	} else if err != nil {
		return err
	}
	s.log.Info("second factor replaced: enrolment starts", "user_id", u.ID)
	return c.Redirect(http.StatusSeeOther, "/account/2fa")
}
