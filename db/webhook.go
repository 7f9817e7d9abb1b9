package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
	"time"
)

// WebhookFormat is the JSON shape a webhook receives.
type WebhookFormat string

// Webhook formats: generic JSON, or a Slack incoming-webhook message.
const (
	WebhookGeneric WebhookFormat = "generic"
	WebhookSlack   WebhookFormat = "slack"
)

// Webhook is one endpoint of a program. Deliveries are signed with Secret
// (HMAC-SHA256) and carry only the reference and a link unless
// IncludeContent; a sealed report's title is never sent.
type Webhook struct {
	ID             int64
	ProgramID      int64
	URL            string
	Secret         string
	Format         WebhookFormat
	IncludeContent bool
	Enabled        bool
	// IncidentClocks: the webhook also gets the incident clock alerts of
	// the program's organisation (event incident.clock); off unless an
	// organisation's admin turned it on.
	IncidentClocks bool
	CreatedAt      time.Time
}

// NewWebhook is what an admin fills in.
type NewWebhook struct {
	ProgramID      int64
	URL            string
	Format         WebhookFormat
	IncludeContent bool
	Enabled        bool
	// IncidentClocks turns on the organisation's incident clock alerts;
	// the handler sets it only for an admin of the program's organisation.
	IncidentClocks bool
	// Reach is the operator's limit on destinations. Only a URL whose host
	// is a literal address is checked here; a host name is checked by the
	// sender after it resolved, when it connects.
	Reach WebhookReach
}

// Validate checks the fields and returns one message per bad field.
func (in *NewWebhook) Validate() FieldErrors {
	errs := FieldErrors{}
	in.URL = strings.TrimSpace(in.URL)
	u, err := url.Parse(in.URL)
	switch {
	case in.URL == "":
		errs["url"] = "Give the URL that receives the events."
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.Fragment != "":
		errs["url"] = "Give an absolute https:// URL without credentials or fragment."
	case len(in.URL) > 2000:
		errs["url"] = "Keep the URL under 2000 characters."
	default:
		if ip, err := netip.ParseAddr(u.Hostname()); err == nil {
			if err := CheckWebhookAddr(ip, in.Reach); err != nil {
				errs["url"] = "R" + strings.TrimPrefix(ErrorMessage(err), "r") + "."
			}
		}
	}
	if in.Format != WebhookGeneric && in.Format != WebhookSlack {
		errs["format"] = "Choose the generic or the Slack format."
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

const webhookColumns = `id, program_id, url, secret, format, include_content, enabled, incident_clocks, created_at`

// scanWebhook reads a webhook and opens its sealed URL and secret.
func (db *DB) scanWebhook(row interface{ Scan(...any) error }) (*Webhook, error) {
	w := &Webhook{}
	var created string
	if err := row.Scan(&w.ID, &w.ProgramID, &w.URL, &w.Secret, &w.Format, &w.IncludeContent, &w.Enabled, &w.IncidentClocks, &created); err != nil {
		return nil, err
	}
	w.CreatedAt = parseTime(created)
	var err error
	if w.Secret, err = db.openSecret(secretWebhook, w.Secret); err != nil {
		return nil, fmt.Errorf("webhook %d: %w", w.ID, err)
	}
	if w.URL, err = db.openSecret(secretWebhookURL, w.URL); err != nil {
		return nil, fmt.Errorf("webhook %d: %w", w.ID, err)
	}
	return w, nil
}

// Webhooks lists a program's webhooks.
func (db *DB) Webhooks(ctx context.Context, programID int64) ([]*Webhook, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+webhookColumns+` FROM webhooks WHERE program_id = ? ORDER BY id`, programID)
	if err != nil {
		return nil, fmt.Errorf("db: list webhooks: %w", err)
	}
	defer rows.Close()
	var out []*Webhook
	for rows.Next() {
		w, err := db.scanWebhook(rows)
		if err != nil {
			return nil, fmt.Errorf("db: scan webhook: %w", err)
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// WebhookByID returns one webhook.
func (db *DB) WebhookByID(ctx context.Context, id int64) (*Webhook, error) {
	w, err := db.scanWebhook(db.read.QueryRowContext(ctx, `SELECT `+webhookColumns+` FROM webhooks WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, Errorf(ENOTFOUND, "Webhook not found.")
	} else if err != nil {
		return nil, fmt.Errorf("db: read webhook: %w", err)
	}
	return w, nil
}

// CreateWebhook adds a webhook with a fresh 256-bit secret; the URL and the
// secret are stored sealed.
func (db *DB) CreateWebhook(ctx context.Context, in *NewWebhook, actor Actor) (*Webhook, error) {
	if errs := in.Validate(); errs != nil {
		return nil, Invalid(errs)
	}
	secret, err := db.newWebhookSecret()
	if err != nil {
		return nil, err
	}
	sealedURL, err := db.sealSecret(secretWebhookURL, in.URL)
	if err != nil {
		return nil, err
	}
	var id int64
	err = db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		now := formatTime(tx.now)
		res, err := tx.ExecContext(ctx, `INSERT INTO webhooks (program_id, url, secret, format, include_content, enabled, incident_clocks, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, in.ProgramID, sealedURL, secret, string(in.Format), in.IncludeContent, in.Enabled, in.IncidentClocks, now, now)
		if err != nil {
			return Errorf(EINVALID, "Choose a program for the webhook.")
		}
		if id, err = res.LastInsertId(); err != nil {
			return fmt.Errorf("db: webhook id: %w", err)
		}
		return tx.audit(ctx, actor, "webhook.create", fmt.Sprintf("webhook:%d", id), fmt.Sprintf("program=%d format=%s clocks=%t", in.ProgramID, in.Format, in.IncidentClocks))
	})
	if err != nil {
		return nil, err
	}
	return db.WebhookByID(ctx, id)
}

// UpdateWebhook changes a webhook's URL, format, content, incident clocks
// and switch; the secret stays.
func (db *DB) UpdateWebhook(ctx context.Context, id int64, in *NewWebhook, actor Actor) error {
	if errs := in.Validate(); errs != nil {
		return Invalid(errs)
	}
	sealedURL, err := db.sealSecret(secretWebhookURL, in.URL)
	if err != nil {
		return err
	}
	return db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE webhooks SET url = ?, format = ?, include_content = ?, enabled = ?, incident_clocks = ?, updated_at = ? WHERE id = ?`,
			sealedURL, string(in.Format), in.IncludeContent, in.Enabled, in.IncidentClocks, formatTime(tx.now), id)
		if err != nil {
			return fmt.Errorf("db: update webhook: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return Errorf(ENOTFOUND, "Webhook not found.")
		}
		if !in.IncidentClocks {
			if err := tx.dropPendingClocks(ctx, `webhook_id = ?`, id); err != nil {
				return err
			}
		}
		return tx.audit(ctx, actor, "webhook.update", fmt.Sprintf("webhook:%d", id), fmt.Sprintf("format=%s enabled=%t content=%t clocks=%t", in.Format, in.Enabled, in.IncludeContent, in.IncidentClocks))
	})
}

// DeleteWebhook removes a webhook and its deliveries.
func (db *DB) DeleteWebhook(ctx context.Context, id int64, actor Actor) error {
	return db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM webhooks WHERE id = ?`, id)
		if err != nil {
			return fmt.Errorf("db: delete webhook: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return Errorf(ENOTFOUND, "Webhook not found.")
		}
		return tx.audit(ctx, actor, "webhook.delete", fmt.Sprintf("webhook:%d", id), "")
	})
}

// dropPendingClocks deletes the incident clock alerts still waiting for the
// webhooks where (a fixed condition of the caller's on webhook_deliveries,
// never user input) holds: a webhook switched off, or moved to another
// organisation, sends none of those queued before.
func (tx *Tx) dropPendingClocks(ctx context.Context, where string, args ...any) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM webhook_deliveries WHERE status = 'pending' AND event = ? AND `+where,
		append([]any{string(EventIncidentClock)}, args...)...)
	if err != nil {
		return fmt.Errorf("db: drop queued clock alerts: %w", err)
	}
	return nil
}
