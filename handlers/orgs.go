package handlers

import (
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/views"
	"github.com/labstack/echo/v4"
)

// orgsPage lists the organisations the user manages: every one for a site
// admin, an organisation's admin its own and its children.
func (s *Server) orgsPage(c echo.Context) error {
	m, err := s.orgsModel(c)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, views.OrgsView(*m))
}

func (s *Server) orgsModel(c echo.Context) (*views.Orgs, error) {
	u := staffUser(c)
	all, err := s.store.Orgs(c.Request().Context())
	if err != nil {
		return nil, err
	}
	m := &views.Orgs{StaffPage: s.staffPage(c, "Organisations", "admin"), Names: map[int64]string{}, CanCreate: u.IsSiteAdmin(),
		Values: map[string]string{}, Errors: db.FieldErrors{}}
	for _, o := range all {
		m.Names[o.ID] = o.Name
		if u.Manages(o) {
			m.Orgs = append(m.Orgs, o)
		}
	}
	return m, nil
}

// createOrg is the site admin's: a new organisation, top-level or a client
// of a top-level one.
func (s *Server) createOrg(c echo.Context) error {
	r := c.Request()
	in := &db.NewOrg{Slug: r.PostFormValue("slug"), Name: r.PostFormValue("name"), ParentSlug: strings.TrimSpace(r.PostFormValue("parent")),
		Hosts: strings.Fields(r.PostFormValue("host")), ContactEmail: r.PostFormValue("contact"), PreferredLanguages: r.PostFormValue("languages")}
	o, err := s.store.CreateOrg(r.Context(), in, actor(c))
	if fields := db.ErrorFields(err); fields != nil {
		m, merr := s.orgsModel(c)
		if merr != nil {
			return merr
		}
		for _, k := range []string{"slug", "name", "parent", "host", "contact", "languages"} {
			m.Values[k] = r.PostFormValue(k)
		}
		m.Errors = fields
		return s.render(c, errorStatus(err), views.OrgsView(*m))
	} else if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/orgs/"+url.PathEscape(o.Slug))
}

func (s *Server) orgPage(c echo.Context) error {
	notice := ""
	switch {
	case c.QueryParam("saved") == "1":
		notice = "Saved."
	case c.QueryParam("invited") == "1":
		notice = "The invitation is mailed. The address's owner becomes a member once they accept it."
	}
	m, err := s.orgModel(c, notice)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, views.OrgView(*m))
}

// orgModel is the page of the rule's organisation (orgOf): its members,
// its programs, its children.
func (s *Server) orgModel(c echo.Context, notice string) (*views.Org, error) {
	ctx := c.Request().Context()
	o := orgOf(c)
	m := &views.Org{StaffPage: s.staffPage(c, o.Name, "admin"), Org: o, SiteAdmin: staffUser(c).IsSiteAdmin(), Notice: notice,
		Values: map[string]string{}, Errors: db.FieldErrors{}}
	all, err := s.store.Orgs(ctx)
	if err != nil {
		return nil, err
	}
	if m.SiteAdmin {
		m.AllOrgs = all
	}
	for _, other := range all {
		if other.ID == o.ParentID {
			m.Parent = other
		}
		if other.ParentID == o.ID {
			m.Children = append(m.Children, other)
		}
	}
	if m.Programs, err = s.store.OrgPrograms(ctx, o.ID); err != nil {
		return nil, err
	}
	if m.Members, err = s.store.OrgMembers(ctx, o.ID); err != nil {
		return nil, err
	}
	if m.Invites, err = s.store.OrgInvites(ctx, o.ID); err != nil {
		return nil, err
	}
	m.Now = s.store.Now().UTC()
	if m.Mailboxes, err = s.store.Mailboxes(ctx, []int64{o.ID}); err != nil {
		return nil, err
	}
	return m, nil
}

// orgFormError shows the organisation's page again with the fields of a
// refused change, or returns err when it is no form error.
func (s *Server) orgFormError(c echo.Context, err error, values ...string) error {
	fields := db.ErrorFields(err)
	if fields == nil {
		return err
	}
	m, merr := s.orgModel(c, "")
	if merr != nil {
		return merr
	}
	for _, k := range values {
		m.Values[k] = c.Request().PostFormValue(k)
	}
	m.Errors = fields
	return s.render(c, errorStatus(err), views.OrgView(*m))
}

func (s *Server) saveOrg(c echo.Context) error {
	r, o := c.Request(), orgOf(c)
	err := s.store.UpdateOrg(r.Context(), o.ID, r.PostFormValue("org_name"), r.PostFormValue("contact"), r.PostFormValue("languages"), actor(c))
	if fields := db.ErrorFields(err); fields != nil {
		if msg, ok := fields["name"]; ok {
			fields["org_name"] = msg
		}
		return s.orgFormError(c, db.Invalid(fields))
	} else if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/orgs/"+url.PathEscape(o.Slug)+"?saved=1")
}

// addOrgHost is the site admin's (the Admin rule): the organisation is
// loaded here, not by the rule.
func (s *Server) addOrgHost(c echo.Context) error {
	ctx := c.Request().Context()
	o, err := s.orgParam(c)
	if err != nil {
		return err
	}
	c.Set(orgKey, o)
	if err := s.store.AddOrgHost(ctx, o.ID, c.Request().PostFormValue("host"), actor(c)); err != nil {
		return s.orgFormError(c, err)
	}
	return c.Redirect(http.StatusSeeOther, "/orgs/"+url.PathEscape(o.Slug)+"?saved=1")
}

// removeOrgHost ends a host name's mapping (the site admin's, like adding
// one); the host then serves the default organisation.
func (s *Server) removeOrgHost(c echo.Context) error {
	ctx := c.Request().Context()
	o, err := s.orgParam(c)
	if err != nil {
		return err
	}
	c.Set(orgKey, o)
	if err := s.store.RemoveOrgHost(ctx, o.ID, c.Request().PostFormValue("host"), actor(c)); db.ErrorFields(err) != nil {
		return s.orgFormError(c, err)
	} else if db.ErrorCode(err) == db.ENOTFOUND {
		return s.orgFormError(c, db.Invalid(db.FieldErrors{"host": "This host name is not one of the organisation's."}))
	} else if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/orgs/"+url.PathEscape(o.Slug)+"?saved=1")
}

// createOrgProgram adds a program to the organisation. An organisation's
// admin gets its URL name namespaced under the organisation's slug
// ("client-shop"), so that a name taken tells them only about their own
// namespace. The reference prefix cannot be: references are unique across
// the portal (reporters and mail threading name them), so a prefix taken
// elsewhere is refused, without saying where.
func (s *Server) createOrgProgram(c echo.Context) error {
	r, o := c.Request(), orgOf(c)
	p := db.NewProgramDefaults()
	p.Name, p.Slug, p.Prefix, p.OrgID = strings.TrimSpace(r.PostFormValue("program_name")), strings.TrimSpace(r.PostFormValue("slug")),
		strings.TrimSpace(r.PostFormValue("prefix")), o.ID
	if !staffUser(c).IsSiteAdmin() && p.Slug != "" && !strings.HasPrefix(p.Slug, o.Slug+"-") {
		p.Slug = o.Slug + "-" + p.Slug
	}
	if _, err := s.store.SaveProgram(r.Context(), p, nil, actor(c)); err != nil {
		if fields := db.ErrorFields(err); fields != nil {
			if msg, ok := fields["name"]; ok {
				fields["program_name"] = msg
			}
			err = db.Invalid(fields)
		}
		return s.orgFormError(c, err, "program_name", "slug", "prefix")
	}
	return c.Redirect(http.StatusSeeOther, "/orgs/"+url.PathEscape(o.Slug)+"?saved=1")
}

// orgMember is the member named by :id, looked up under the rule's
// organisation only: a user who is not its member is 404.
func (s *Server) orgMember(c echo.Context) (*db.User, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return nil, echo.NewHTTPError(http.StatusNotFound)
	}
	members, err := s.store.OrgMembers(c.Request().Context(), orgOf(c).ID)
	if err != nil {
		return nil, err
	}
	for _, m := range members {
		if m.User.ID == id {
			return m.User, nil
		}
	}
	return nil, echo.NewHTTPError(http.StatusNotFound)
}

func (s *Server) setOrgMember(c echo.Context) error {
	u, err := s.orgMember(c)
	if err != nil {
		return err
	}
	o := orgOf(c)
	if err := s.store.SetOrgMember(c.Request().Context(), o.ID, u.ID, db.Role(c.Request().PostFormValue("role")), actor(c)); err != nil {
		return s.orgFormError(c, err)
	}
	return c.Redirect(http.StatusSeeOther, "/orgs/"+url.PathEscape(o.Slug)+"?saved=1")
}

func (s *Server) removeOrgMember(c echo.Context) error {
	u, err := s.orgMember(c)
	if err != nil {
		return err
	}
	o := orgOf(c)
	if err := s.store.RemoveOrgMember(c.Request().Context(), o.ID, u.ID, actor(c)); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/orgs/"+url.PathEscape(o.Slug)+"?saved=1")
}

// addOrgMailbox adds an intake mailbox of the organisation; serve reads it
// from its next start. The portal connects wherever the form says, so an
// organisation's admin (not the operator) may only name a server by DNS
// name or public address, over TLS: no loopback or private address to
// probe the portal's network with.
func (s *Server) addOrgMailbox(c echo.Context) error {
	r, o, u := c.Request(), orgOf(c), staffUser(c)
	in := &db.NewMailbox{Mailbox: db.Mailbox{OrgID: o.ID, Addr: r.PostFormValue("imap_addr"), TLS: r.PostFormValue("imap_tls"),
		User: r.PostFormValue("imap_user"), Name: r.PostFormValue("mailbox"), Processed: r.PostFormValue("processed"),
		SubjectContains: r.PostFormValue("subject_contains"), To: r.PostFormValue("to")}, Password: r.PostFormValue("imap_password")}
	values := []string{"imap_addr", "imap_tls", "imap_user", "mailbox", "processed", "subject_contains", "to", "program"}
	if p, err := s.store.ProgramBySlug(r.Context(), r.PostFormValue("program")); err == nil && p.OrgID == o.ID {
		in.ProgramID = p.ID
	} else {
		return s.orgFormError(c, db.Invalid(db.FieldErrors{"program": "Choose a program of this organisation."}), values...)
	}
	if !u.IsSiteAdmin() {
		if msg := publicIMAPServer(in.Addr, in.TLS); msg != "" {
			return s.orgFormError(c, db.Invalid(db.FieldErrors{"imap_addr": msg}), values...)
		}
	}
	if _, err := s.store.CreateMailbox(r.Context(), in, actor(c)); err != nil {
		return s.orgFormError(c, err, values...)
	}
	return c.Redirect(http.StatusSeeOther, "/orgs/"+url.PathEscape(o.Slug)+"?saved=1")
}

// publicIMAPServer is why an organisation's admin may not name addr ("" if
// they may): TLS only, and no IP literal outside the public internet.
func publicIMAPServer(addr, mode string) string {
	if mode != "tls" && mode != "starttls" {
		return "Choose TLS or STARTTLS."
	}
	host, _, err := net.SplitHostPort(strings.TrimSpace(addr))
	if err != nil {
		return "Give host:port, like imap.example.org:993."
	}
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return "Name a public mail server; ask the operator for one on the portal's own network."
	}
	if ip, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		if db.CheckWebhookAddr(ip, db.WebhookReachPublic) != nil {
			return "Name a public mail server; ask the operator for one on the portal's own network."
		}
	}
	return ""
}

// createChildOrg is an organisation's admin creating a client of it (one
// level: a client has no clients). Its slug is namespaced under the
// parent's ("agency-shop") unless the site admin creates it: a slug taken
// then tells an organisation's admin only about its own namespace, not
// which slugs other tenants use. Host names stay the site admin's.
func (s *Server) createChildOrg(c echo.Context) error {
	r, parent, u := c.Request(), orgOf(c), staffUser(c)
	values := []string{"child_name", "child_slug", "child_contact", "child_languages"}
	if parent.ParentID != 0 {
		return s.orgFormError(c, db.Invalid(db.FieldErrors{"child_slug": "A client organisation cannot have clients of its own."}), values...)
	}
	slug := strings.TrimSpace(r.PostFormValue("child_slug"))
	if !u.IsSiteAdmin() && !strings.HasPrefix(slug, parent.Slug+"-") {
		slug = parent.Slug + "-" + slug
	}
	in := &db.NewOrg{Slug: slug, Name: r.PostFormValue("child_name"), ParentSlug: parent.Slug,
		ContactEmail: r.PostFormValue("child_contact"), PreferredLanguages: r.PostFormValue("child_languages")}
	o, err := s.store.CreateOrg(r.Context(), in, actor(c))
	if fields := db.ErrorFields(err); fields != nil {
		child := db.FieldErrors{}
		for k, v := range fields {
			switch k {
			case "name", "contact", "languages":
				child["child_"+k] = v
			default: // slug, parent
				child["child_slug"] = v
			}
		}
		return s.orgFormError(c, db.Invalid(child), values...)
	} else if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/orgs/"+url.PathEscape(o.Slug)+"?saved=1")
}

// moveProgram is the site admin's: a program of :org (looked up under it:
// another's is 404) goes to the organisation named by "to", its reports
// with it.
func (s *Server) moveProgram(c echo.Context) error {
	ctx := c.Request().Context()
	o, err := s.orgParam(c)
	if err != nil {
		return err
	}
	c.Set(orgKey, o)
	id, err := pathID(c)
	if err != nil {
		return err
	}
	p, err := s.store.ProgramByID(ctx, id)
	if db.ErrorCode(err) == db.ENOTFOUND || (err == nil && p.OrgID != o.ID) {
		return echo.NewHTTPError(http.StatusNotFound)
	} else if err != nil {
		return err
	}
	res, err := s.store.MoveProgram(ctx, p.ID, c.Request().PostFormValue("to"), actor(c))
	if fields := db.ErrorFields(err); fields != nil {
		// "move", not "to": the mailbox form's filter field is "to", and
		// the refusal belongs above the programs, not in that field.
		return s.orgFormError(c, db.Invalid(db.FieldErrors{"move": fields["to"]}))
	} else if err != nil {
		return err
	}
	s.log.Info("program moved", "program_id", p.ID, "from", res.From.ID, "to", res.To.ID, "by", staffUser(c).ID)
	return c.Redirect(http.StatusSeeOther, "/orgs/"+url.PathEscape(res.To.Slug)+"?saved=1")
}
