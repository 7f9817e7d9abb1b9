package handlers

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/views"
	"github.com/labstack/echo/v4"
)

// adminSSO lists the single sign-on providers and the form adding one.
// Only site admins configure providers, also an organisation's: a provider
// decides who signs in, and an organisation's admin who ran one could
// otherwise vouch for any address of the domains it names.
func (s *Server) adminSSO(c echo.Context) error {
	m := views.AdminSSO{Values: map[string]string{}}
	switch c.QueryParam("done") {
	case "added":
		m.Notice = "The provider was added. Its button is on the sign-in page."
	case "removed":
		m.Notice = "The provider was removed. Accounts it signed in keep their passwords and second factors."
	}
	return s.renderAdminSSO(c, http.StatusOK, m)
}

func (s *Server) renderAdminSSO(c echo.Context, status int, m views.AdminSSO) error {
	ctx := c.Request().Context()
	var err error
	if m.Providers, err = s.store.SSOProviders(ctx); err != nil {
		return err
	}
	if m.Orgs, err = s.store.Orgs(ctx); err != nil {
		return err
	}
	m.StaffPage = s.staffPage(c, "Single sign-on", "admin")
	m.CallbackURL = s.absURL(ssoCallbackPath)
	return s.render(c, status, views.AdminSSOView(m))
}

// addSSO adds a provider from the form; the client secret is not shown
// back, also not when the form has errors.
func (s *Server) addSSO(c echo.Context) error {
	r := c.Request()
	vals := map[string]string{}
	for _, k := range []string{"name", "org", "issuer", "client_id", "domains", "roles", "require_2fa"} {
		vals[k] = strings.TrimSpace(r.PostFormValue(k))
	}
	in := &db.NewSSOProvider{Name: vals["name"], Issuer: vals["issuer"], ClientID: vals["client_id"],
		ClientSecret: r.PostFormValue("client_secret"), Domains: vals["domains"], Require2FA: vals["require_2fa"] == "1"}
	errs := db.FieldErrors{}
	if vals["org"] != "" {
		o, err := s.store.OrgBySlug(r.Context(), vals["org"])
		if db.ErrorCode(err) == db.ENOTFOUND {
			errs["org"] = "Choose an organisation of the list."
		} else if err != nil {
			return err
		} else {
			in.OrgID = o.ID
		}
	}
	mode, claim, roles, err := db.ParseSSORoles(vals["roles"])
	if f := db.ErrorFields(err); f != nil {
		errs["roles"] = f["roles"]
	}
	in.RoleMode, in.GroupsClaim, in.GroupRoles = mode, claim, roles
	if len(errs) == 0 {
		if _, err = s.store.CreateSSOProvider(r.Context(), in, actor(c)); err == nil {
			s.log.Info("sso provider added", "user_id", staffUser(c).ID)
			return c.Redirect(http.StatusSeeOther, "/admin/sso?done=added")
		}
		f := db.ErrorFields(err)
		if f == nil {
			return err
		}
		for k, v := range f {
			errs[k] = v
		}
	} else if more := in.Validate(); more != nil {
		for k, v := range more {
			if _, ok := errs[k]; !ok && k != "roles" {
				errs[k] = v
			}
		}
	}
	return s.renderAdminSSO(c, http.StatusUnprocessableEntity, views.AdminSSO{Errors: errs, Values: vals})
}

func (s *Server) removeSSO(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	if err := s.store.DeleteSSOProvider(c.Request().Context(), id, actor(c)); err != nil {
		return err
	}
	s.log.Info("sso provider removed", "user_id", staffUser(c).ID, "provider", id)
	return c.Redirect(http.StatusSeeOther, "/admin/sso?done=removed")
}
