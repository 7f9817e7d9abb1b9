package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/views"
	"github.com/labstack/echo/v4"
)

// InviteMailer composes the mail that carries an invitation to an
// organisation to the address invited (mailin.Notifier implements it).
type InviteMailer interface {
	InviteMail(to, orgName string, role db.Role, token string, life time.Duration) (*db.OutMail, error)
	// AccountLinkMail carries a site admin's setup or reset link.
	AccountLinkMail(to, token string, setup bool, life time.Duration) (*db.OutMail, error)
}

// addOrgMember invites an address to the organisation. The link goes by
// mail to the address only (through the outbox): whoever adds a member
// never sees it, so nobody but the address's owner can set a new account's
// password or join an existing account to the organisation. The answer is
// the same for an address with an account (of any organisation) and one
// without.
func (s *Server) addOrgMember(c echo.Context) error {
	r, o := c.Request(), orgOf(c)
	values := []string{"email", "name", "role"}
	if s.cfg.InviteMail == nil {
		return s.orgFormError(c, db.Invalid(db.FieldErrors{"email": "The portal has no mail gateway to send the invitation with."}), values...)
	}
	email, role := strings.TrimSpace(r.PostFormValue("email")), db.Role(r.PostFormValue("role"))
	link := db.InviteLink{}
	var err error
	if link.Token, err = db.NewResetToken(); err != nil {
		return err
	}
	if link.Mail, err = s.cfg.InviteMail.InviteMail(email, o.Name, role, link.Token, s.store.Auth.InviteLifetime); err != nil {
		return err
	}
	if _, err := s.store.InviteMember(r.Context(), o.ID, &db.NewUser{Email: email, Name: r.PostFormValue("name")}, role, link, actor(c)); err != nil {
		return s.orgFormError(c, err, values...)
	}
	return c.Redirect(http.StatusSeeOther, "/orgs/"+url.PathEscape(o.Slug)+"?invited=1")
}

func (s *Server) cancelOrgInvite(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	o := orgOf(c)
	if err := s.store.CancelInvite(c.Request().Context(), o.ID, id, actor(c)); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/orgs/"+url.PathEscape(o.Slug)+"?saved=1")
}

// inviteModel is the page of the link's invitation, with the browser's
// session if it has one.
func (s *Server) inviteModel(c echo.Context) (*views.Invite, error) {
	ctx := c.Request().Context()
	token := c.Param("token")
	info, err := s.store.InviteByToken(ctx, token)
	if err != nil {
		return nil, err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	m := &views.Invite{Page: s.page(c, "Invitation to "+info.OrgName), Token: token, Info: info, Values: map[string]string{}, Errors: db.FieldErrors{}}
	if u, err := s.store.UserBySession(ctx, s.sessionToken(c)); err == nil {
		m.SignedInAs, m.Mine = u.Email, u.ID == info.UserID
	}
	return m, nil
}

func (s *Server) invitePage(c echo.Context) error {
	m, err := s.inviteModel(c)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, views.InviteView(*m))
}

// inviteSetup chooses the password of a new account through its
// invitation and joins it to the organisation.
func (s *Server) inviteSetup(c echo.Context) error {
	r := c.Request()
	in := &db.Redeem{Name: r.PostFormValue("name"), Password: r.PostFormValue("password"), Password2: r.PostFormValue("password2")}
	u, err := s.store.AcceptInviteNewAccount(r.Context(), c.Param("token"), in, clientAddr(c))
	if fields := db.ErrorFields(err); fields != nil {
		m, merr := s.inviteModel(c)
		if merr != nil {
			return merr
		}
		m.Values["name"], m.Errors = in.Name, fields
		return s.render(c, errorStatus(err), views.InviteView(*m))
	} else if err != nil {
		return err
	}
	s.log.Info("password set and invitation accepted", "user_id", u.ID)
	return c.Redirect(http.StatusSeeOther, "/login?done=password")
}

func (s *Server) acceptInvite(c echo.Context) error {
	u := staffUser(c)
	in, err := s.store.AcceptInvite(c.Request().Context(), c.Param("token"), u.ID, clientAddr(c))
	if err != nil {
		return err
	}
	s.log.Info("invitation accepted", "user_id", u.ID, "org_id", in.OrgID)
	return s.render(c, http.StatusOK, views.InviteDoneView(s.page(c, "Invitation accepted"),
		"You are now "+string(in.Role)+" of "+in.OrgName+"."))
}

func (s *Server) declineInvite(c echo.Context) error {
	if err := s.store.DeclineInvite(c.Request().Context(), c.Param("token"), clientAddr(c)); err != nil {
		return err
	}
	return s.render(c, http.StatusOK, views.InviteDoneView(s.page(c, "Invitation declined"), "The invitation is declined; its link no longer works."))
}
