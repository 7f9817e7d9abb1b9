package handlers

import (
	"context"

	"github.com/disclose/disclose/db"
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
