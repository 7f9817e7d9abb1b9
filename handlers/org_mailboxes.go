package handlers

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/views"
	"github.com/labstack/echo/v4"
)

// orgMailbox is the :id mailbox of the rule's organisation; one of another
// organisation is not found, like one that does not exist.
func (s *Server) orgMailbox(c echo.Context) (*db.Mailbox, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return nil, echo.ErrNotFound
	}
	m, err := s.store.MailboxOf(c.Request().Context(), orgOf(c).ID, id)
	if db.ErrorCode(err) == db.ENOTFOUND {
		return nil, echo.ErrNotFound
	}
	return m, err
}

// mailboxPage renders the change form of mailbox m, with what was typed
// and why it was refused when the change was refused.
func (s *Server) mailboxPage(c echo.Context, m *db.Mailbox, status int, err error) error {
	o := orgOf(c)
	programs, perr := s.store.OrgPrograms(c.Request().Context(), o.ID)
	if perr != nil {
		return perr
	}
	page := views.OrgMailbox{StaffPage: s.staffPage(c, "Mailbox of "+o.Name, "admin"), Org: o, Mailbox: m, Programs: programs,
		Values: map[string]string{"imap_addr": m.Addr, "imap_tls": m.TLS, "imap_user": m.User, "mailbox": m.Name, "processed": m.Processed,
			"subject_contains": m.SubjectContains, "to": m.To, "program": ""}, Errors: db.FieldErrors{}}
	for _, p := range programs {
		if p.ID == m.ProgramID {
			page.Values["program"] = p.Slug
		}
	}
	if err != nil {
		page.Errors = db.ErrorFields(err)
		for k := range page.Values {
			page.Values[k] = c.Request().PostFormValue(k)
		}
	}
	return s.render(c, status, views.OrgMailboxView(page))
}

func (s *Server) editOrgMailbox(c echo.Context) error {
	m, err := s.orgMailbox(c)
	if err != nil {
		return err
	}
	return s.mailboxPage(c, m, http.StatusOK, nil)
}

// saveOrgMailbox changes a mailbox of the organisation; an empty password
// keeps the stored one. The same rule as adding holds: an organisation's
// admin names only a public server over TLS. Intake restarts the
// mailbox's reading on the new settings at its next look.
func (s *Server) saveOrgMailbox(c echo.Context) error {
	m, err := s.orgMailbox(c)
	if err != nil {
		return err
	}
	r, o := c.Request(), orgOf(c)
	in := &db.NewMailbox{Mailbox: db.Mailbox{ID: m.ID, OrgID: o.ID, Addr: r.PostFormValue("imap_addr"), TLS: r.PostFormValue("imap_tls"),
		User: r.PostFormValue("imap_user"), Name: r.PostFormValue("mailbox"), Processed: r.PostFormValue("processed"),
		SubjectContains: r.PostFormValue("subject_contains"), To: r.PostFormValue("to")}, Password: r.PostFormValue("imap_password")}
	if p, err := s.store.ProgramBySlug(r.Context(), r.PostFormValue("program")); err == nil && p.OrgID == o.ID {
		in.ProgramID = p.ID
	} else {
		err := db.Invalid(db.FieldErrors{"program": "Choose a program of this organisation."})
		return s.mailboxPage(c, m, errorStatus(err), err)
	}
	if !staffUser(c).IsSiteAdmin() {
		if msg := publicIMAPServer(in.Addr, in.TLS); msg != "" {
			err := db.Invalid(db.FieldErrors{"imap_addr": msg})
			return s.mailboxPage(c, m, errorStatus(err), err)
		}
	}
	if _, err := s.store.UpdateMailbox(r.Context(), in, actor(c)); db.ErrorFields(err) != nil {
		return s.mailboxPage(c, m, errorStatus(err), err)
	} else if db.ErrorCode(err) == db.ENOTFOUND {
		return echo.ErrNotFound
	} else if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/orgs/"+url.PathEscape(o.Slug)+"?saved=1")
}

// removeOrgMailbox stops reading a mailbox of the organisation and forgets
// its settings and password; mail taken stays with its reports.
func (s *Server) removeOrgMailbox(c echo.Context) error {
	m, err := s.orgMailbox(c)
	if err != nil {
		return err
	}
	o := orgOf(c)
	if err := s.store.DeleteMailbox(c.Request().Context(), o.ID, m.ID, actor(c)); db.ErrorCode(err) == db.ENOTFOUND {
		return echo.ErrNotFound
	} else if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/orgs/"+url.PathEscape(o.Slug)+"?saved=1")
}
