package handlers

import (
	"net/http"
	"strconv"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/views"
	"github.com/labstack/echo/v4"
)

// orgOutboxRoutes are an organisation's outbox for its admins: the mail
// filed under it (db.OrgMails: about its reports, its children's, and the
// invitations and resets of its people), one mail, and sending a failed one
// again. A mail filed under another organisation answers 404 like one that
// does not exist.
func (s *Server) orgOutboxRoutes() []route {
	return []route{
		{get, "/orgs/:org/outbox", OrgAdmin, s.orgOutbox, nil},
		{get, "/orgs/:org/outbox/:id", OrgAdmin, s.orgMail, nil},             // :id is a mail filed under :org
		{post, "/orgs/:org/outbox/:id/retry", OrgAdmin, s.orgRetryMail, nil}, // :id is a mail filed under :org
	}
}

func (s *Server) orgOutbox(c echo.Context) error {
	ctx := c.Request().Context()
	o := orgOf(c)
	status := c.QueryParam("status")
	switch status {
	case "", db.OutboxPending, db.OutboxSent, db.OutboxFailed:
	default:
		status = ""
	}
	mails, err := s.store.OrgMails(ctx, o.ID, status, outboxPageSize)
	if err != nil {
		return err
	}
	counts, err := s.store.OrgMailCounts(ctx, o.ID)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, views.OrgOutboxView(views.OrgOutbox{AdminOutbox: views.AdminOutbox{StaffPage: s.staffPage(c, "Outbox of "+o.Name, "admin"),
		Mails: mails, Counts: counts, Status: status, Now: time.Now().UTC()}, Org: o}))
}

func (s *Server) orgMail(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	o := orgOf(c)
	m, err := s.store.OrgMailByID(c.Request().Context(), o.ID, id)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, views.OrgMailView(views.OrgMail{AdminMail: views.AdminMail{StaffPage: s.staffPage(c, "Mail "+m.Ref, "admin"),
		Mail: m, Now: time.Now().UTC()}, Org: o, Retried: c.QueryParam("retried") == "1"}))
}

// orgRetryMail puts a failed mail of the organisation back in the queue.
func (s *Server) orgRetryMail(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	o := orgOf(c)
	if err := s.store.RetryOrgMail(c.Request().Context(), o.ID, id, actor(c)); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/orgs/"+o.Slug+"/outbox/"+strconv.FormatInt(id, 10)+"?retried=1")
}
