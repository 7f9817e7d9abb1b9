package handlers

import (
	"net/http"
	"strconv"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/views"
	"github.com/labstack/echo/v4"
)

// formIDs reads a repeated id field (checkboxes), ignoring junk.
func formIDs(c echo.Context, name string) []int64 {
	var ids []int64
	for _, v := range c.Request().PostForm[name] {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil && id > 0 {
			ids = append(ids, id)
		}
	}
	return ids
}

func pathID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, echo.NewHTTPError(http.StatusNotFound)
	}
	return id, nil
}

func (s *Server) adminUsersModel(c echo.Context) (*views.AdminUsers, error) {
	ctx := c.Request().Context()
	users, err := s.store.Users(ctx)
	if err != nil {
		return nil, err
	}
	ps, err := s.store.Programs(ctx)
	if err != nil {
		return nil, err
	}
	return &views.AdminUsers{StaffPage: s.staffPage(c, "Users", "admin"), Users: users, Programs: ps,
		Values: map[string]string{"role": string(db.RoleTriager)}, Errors: db.FieldErrors{}}, nil
}

func (s *Server) adminUsers(c echo.Context) error {
	m, err := s.adminUsersModel(c)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, views.AdminUsersView(*m))
}

// inviteUser creates an account without a password and mails its setup
// link to the address (through the outbox): the admin never sees it, so
// nobody but the address's owner chooses the password.
func (s *Server) inviteUser(c echo.Context) error {
	r := c.Request()
	in := &db.NewUser{Email: r.PostFormValue("email"), Name: r.PostFormValue("name"), Role: db.Role(r.PostFormValue("role")),
		ProgramIDs: formIDs(c, "program")}
	link, err := s.accountLink(in.Email, true, s.store.Auth.InviteLifetime)
	if err != nil {
		return err
	}
	u, err := s.store.InviteUserByMail(r.Context(), in, link, actor(c))
	if fields := db.ErrorFields(err); fields != nil {
		m, merr := s.adminUsersModel(c)
		if merr != nil {
			return merr
		}
		m.Values = map[string]string{"email": in.Email, "name": in.Name, "role": string(in.Role)}
		m.Chosen, m.Errors = in.ProgramIDs, fields
		return s.render(c, errorStatus(err), views.AdminUsersView(*m))
	} else if err != nil {
		return err
	}
	s.log.Info("user invited", "user_id", u.ID, "by", staffUser(c).ID)
	m, err := s.adminUsersModel(c)
	if err != nil {
		return err
	}
	m.LinkFor, m.LinkKind = u.Email, "setup"
	return s.render(c, http.StatusOK, views.AdminUsersView(*m))
}

func (s *Server) renderAdminUser(c echo.Context, status int, id int64, notice, link string, errs db.FieldErrors) error {
	ctx := c.Request().Context()
	u, err := s.store.UserByID(ctx, id)
	if err != nil {
		return err
	}
	ps, err := s.store.Programs(ctx)
	if err != nil {
		return err
	}
	return s.render(c, status, views.AdminUserView(views.AdminUser{StaffPage: s.staffPage(c, u.Email, "admin"), Account: u,
		Programs: ps, Notice: notice, Link: link, Errors: errs}))
}

func (s *Server) adminUser(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	return s.renderAdminUser(c, http.StatusOK, id, "", "", nil)
}

func (s *Server) updateUser(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	r := c.Request()
	err = s.store.UpdateUser(r.Context(), id, r.PostFormValue("name"), db.Role(r.PostFormValue("role")), formIDs(c, "program"), actor(c))
	if errs, ok := formErrors(err); ok {
		return s.renderAdminUser(c, errorStatus(err), id, "", "", errs)
	} else if err != nil {
		return err
	}
	return s.renderAdminUser(c, http.StatusOK, id, "Saved.", "", nil)
}

// formErrors turns a validation or invalid-input error into messages for
// the form ("form" when not tied to a field).
func formErrors(err error) (db.FieldErrors, bool) {
	if fields := db.ErrorFields(err); fields != nil {
		return fields, true
	} else if db.ErrorCode(err) == db.EINVALID {
		return db.FieldErrors{"form": db.ErrorMessage(err)}, true
	}
	return nil, false
}

func (s *Server) userAction(disable bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c)
		if err != nil {
			return err
		}
		err = s.store.SetUserDisabled(c.Request().Context(), id, disable, actor(c))
		if errs, ok := formErrors(err); ok {
			return s.renderAdminUser(c, errorStatus(err), id, "", "", errs)
		} else if err != nil {
			return err
		}
		notice := "Enabled."
		if disable {
			notice = "Disabled: the account's sessions ended and its links no longer work."
		}
		return s.renderAdminUser(c, http.StatusOK, id, notice, "", nil)
	}
}

func (s *Server) resetPassword(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	u, err := s.store.UserByID(ctx, id)
	if err != nil {
		return err
	}
	setup, life := s.store.AccountLinkSetup(u)
	link, err := s.accountLink(u.Email, setup, life)
	if err != nil {
		return err
	}
	err = s.store.MailResetLink(ctx, id, setup, link, actor(c))
	if errs, ok := formErrors(err); ok {
		return s.renderAdminUser(c, errorStatus(err), id, "", "", errs)
	} else if err != nil {
		return err
	}
	kind := "password reset"
	if setup {
		kind = "setup"
	}
	return s.renderAdminUser(c, http.StatusOK, id, "", kind, nil)
}

func (s *Server) resetTwoFactor(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := s.store.ResetTOTP(c.Request().Context(), id, actor(c)); err != nil {
		return err
	}
	return s.renderAdminUser(c, http.StatusOK, id, "Two-factor sign-in is off for this account; they can set it up again.", "", nil)
}

func (s *Server) adminSettings(c echo.Context) error {
	on, err := s.store.Require2FA(c.Request().Context())
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, views.AdminSettingsView(views.AdminSettings{StaffPage: s.staffPage(c, "Settings", "admin"), Require2FA: on}))
}

func (s *Server) saveSettings(c echo.Context) error {
	on := c.Request().PostFormValue("require_2fa") == "1"
	if err := s.store.SetRequire2FA(c.Request().Context(), on, actor(c)); err != nil {
		return err
	}
	return s.render(c, http.StatusOK, views.AdminSettingsView(views.AdminSettings{StaffPage: s.staffPage(c, "Settings", "admin"),
		Require2FA: on, Notice: "Saved."}))
}

// accountLink is a fresh one-time link and the mail that carries it to
// addr; the portal without a mail gateway cannot send one.
func (s *Server) accountLink(addr string, setup bool, life time.Duration) (db.ResetLink, error) {
	if s.cfg.InviteMail == nil {
		return db.ResetLink{}, db.Errorf(db.EINVALID, "The portal has no mail gateway to send the link with.")
	}
	token, err := db.NewResetToken()
	if err != nil {
		return db.ResetLink{}, err
	}
	m, err := s.cfg.InviteMail.AccountLinkMail(addr, token, setup, life)
	return db.ResetLink{Token: token, Mail: m}, err
}
