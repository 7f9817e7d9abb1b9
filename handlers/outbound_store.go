package handlers

import (
	"context"

	"github.com/disclose/disclose/db"
	"github.com/labstack/echo/v4"
)

// OutboundStore is what the outbox, webhook and notification pages need
// from the database.
type OutboundStore interface {
	Mails(ctx context.Context, status string, limit int) ([]*db.Mail, error)
	MailCounts(ctx context.Context) (map[string]int, error)
	MailByID(ctx context.Context, id int64) (*db.Mail, error)
	RetryMail(ctx context.Context, id int64, actor db.Actor) error
	ReportMails(ctx context.Context, reportID int64) ([]*db.Mail, error) // for the staff report page (views.ReportMailsView)

	Webhooks(ctx context.Context, programID int64) ([]*db.Webhook, error)
	WebhookByID(ctx context.Context, id int64) (*db.Webhook, error)
	CreateWebhook(ctx context.Context, in *db.NewWebhook, actor db.Actor) (*db.Webhook, error)
	UpdateWebhook(ctx context.Context, id int64, in *db.NewWebhook, actor db.Actor) error
	DeleteWebhook(ctx context.Context, id int64, actor db.Actor) error
	Deliveries(ctx context.Context, webhookID int64, limit int) ([]*db.Delivery, error)
	RetryDelivery(ctx context.Context, id int64, actor db.Actor) error

	NotifyPrefsOf(ctx context.Context, userID int64) (*db.NotifyPrefs, error)
	SetNotifyPrefs(ctx context.Context, p *db.NotifyPrefs, actor db.Actor) error
}

// outboundRoutes is the part of the route table for the outbox and webhook
// pages (admins only: their authorization is here) and each staff user's
// notification settings.
func (s *Server) outboundRoutes(e *echo.Echo) {
	e.GET("/account/notifications", s.notificationsForm, s.requireStaff)
	e.POST("/account/notifications", s.saveNotifications, s.requireStaff)

	admin := e.Group("/admin", s.requireStaff, s.requireRole(db.RoleAdmin))
	admin.GET("/outbox", s.adminOutbox)
	admin.GET("/outbox/:id", s.adminMail)
	admin.POST("/outbox/:id/retry", s.retryMail)
	admin.GET("/programs/:id/webhooks", s.adminWebhooks)
	admin.POST("/programs/:id/webhooks", s.createWebhook)
	admin.POST("/webhooks/:id", s.updateWebhook)
	admin.POST("/webhooks/:id/delete", s.deleteWebhook)
	admin.POST("/webhooks/:id/deliveries/:delivery/retry", s.retryDelivery)
}
