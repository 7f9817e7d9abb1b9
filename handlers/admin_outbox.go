package handlers

import (
	"net/http"
	"strconv"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/views"
	"github.com/labstack/echo/v4"
)

// outboxPageSize bounds the outbox list; older mail is in the database.
const outboxPageSize = 200

func (s *Server) adminOutbox(c echo.Context) error {
	ctx := c.Request().Context()
	status := c.QueryParam("status")
	switch status {
	case "", db.OutboxPending, db.OutboxSent, db.OutboxFailed:
	default:
		status = ""
	}
	mails, err := s.store.Mails(ctx, status, outboxPageSize)
	if err != nil {
		return err
	}
	counts, err := s.store.MailCounts(ctx)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, views.AdminOutboxView(views.AdminOutbox{StaffPage: s.staffPage(c, "Outbox", "admin"),
		Mails: mails, Counts: counts, Status: status, Now: time.Now().UTC(), Retried: c.QueryParam("retried") == "1"}))
}

func (s *Server) adminMail(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	m, err := s.store.MailByID(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, views.AdminMailView(views.AdminMail{StaffPage: s.staffPage(c, "Mail "+m.Ref, "admin"), Mail: m, Now: time.Now().UTC()}))
}

// retryMail puts a failed mail back in the queue.
func (s *Server) retryMail(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := s.store.RetryMail(c.Request().Context(), id, actor(c)); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin/outbox/"+strconv.FormatInt(id, 10)+"?retried=1")
}
