package db

import (
	"context"
	"fmt"
	"time"
)

// Delivery is one event on its way to one webhook, with what the sender
// needs to compose and sign it (URL and Secret are set, opened, only on a
// claimed delivery).
type Delivery struct {
	ID        int64
	WebhookID int64
	URL       string
	Secret    string
	Format    WebhookFormat
	ReportID  int64
	Ref       string
	Event     EventKind
	FromState State
	ToState   State
	// Obligation (preset/stage), Point and DueAt: an incident clock alert
	// (EventIncidentClock), whose Ref is the incident's.
	Obligation string
	Point      string
	DueAt      time.Time
	State      State  // the report's state now
	Program    string // program name
	Title      string // only when the webhook includes content and the report is not sealed
	Severity   Severity
	Status     string
	Attempts   int
	LastError  string
	CreatedAt  time.Time
	SentAt     time.Time
}

const deliveryColumns = `d.id, d.webhook_id, w.url, w.secret, w.format, COALESCE(d.report_id, 0), d.ref, d.event, d.from_state,
	d.to_state, COALESCE(r.state, ''), COALESCE(p.name, ''),
	CASE WHEN w.include_content = 1 AND r.sealed = 0 THEN r.title ELSE '' END,
	CASE WHEN w.include_content = 1 AND r.sealed = 0 THEN r.severity ELSE '' END,
	d.status, d.attempts, d.last_error, d.created_at, COALESCE(d.sent_at, ''), d.obligation, d.point, COALESCE(d.due_at, '')`

const deliveryFrom = ` FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
	LEFT JOIN reports r ON r.id = d.report_id LEFT JOIN programs p ON p.id = r.program_id `

func scanDelivery(row interface{ Scan(...any) error }) (*Delivery, error) {
	d := &Delivery{}
	var created, sent, due string
	err := row.Scan(&d.ID, &d.WebhookID, &d.URL, &d.Secret, &d.Format, &d.ReportID, &d.Ref, &d.Event, &d.FromState,
		&d.ToState, &d.State, &d.Program, &d.Title, &d.Severity, &d.Status, &d.Attempts, &d.LastError, &created, &sent,
		&d.Obligation, &d.Point, &due)
	if err != nil {
		return nil, err
	}
	d.CreatedAt, d.SentAt, d.DueAt = parseTime(created), parseTime(sent), parseTime(due)
	return d, nil
}

// ClaimDelivery leases the next due webhook delivery; ENOTFOUND when none.
func (db *DB) ClaimDelivery(ctx context.Context, lease time.Duration) (*Delivery, error) {
	return updateValue(ctx, db, func(ctx context.Context, tx *Tx) (*Delivery, error) {
		id, err := tx.claim(ctx, hookQueue, lease, "")
		if err != nil {
			return nil, err
		}
		d, err := scanDelivery(tx.QueryRowContext(ctx, `SELECT `+deliveryColumns+deliveryFrom+` WHERE d.id = ?`, id))
		if err != nil {
			return nil, fmt.Errorf("db: read claimed delivery %d: %w", id, err)
		}
		if d.Secret, err = db.openSecret(secretWebhook, d.Secret); err != nil {
			return nil, fmt.Errorf("db: claimed delivery %d: %w", id, err)
		}
		if d.URL, err = db.openSecret(secretWebhookURL, d.URL); err != nil {
			return nil, fmt.Errorf("db: claimed delivery %d: %w", id, err)
		}
		return d, nil
	})
}

// DeliverySent records a 2xx answer.
func (db *DB) DeliverySent(ctx context.Context, id int64) error {
	return db.Update(ctx, func(ctx context.Context, tx *Tx) error { return tx.markSent(ctx, hookQueue, id) })
}

// DeliveryRetry schedules a delivery again, or fails it after giveUp.
func (db *DB) DeliveryRetry(ctx context.Context, id int64, errText string, delay, giveUp time.Duration) (bool, error) {
	var failed bool
	err := db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		var err error
		failed, err = tx.markRetry(ctx, hookQueue, id, errText, delay, giveUp)
		return err
	})
	return failed, err
}

// DeliveryFailed marks a delivery failed for good.
func (db *DB) DeliveryFailed(ctx context.Context, id int64, errText string) error {
	return db.Update(ctx, func(ctx context.Context, tx *Tx) error { return tx.markFailed(ctx, hookQueue, id, errText) })
}

// RetryDelivery puts a failed delivery back in the queue.
func (db *DB) RetryDelivery(ctx context.Context, id int64, actor Actor) error {
	return db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		if err := tx.retry(ctx, hookQueue, id); err != nil {
			return err
		}
		return tx.audit(ctx, actor, "webhook.retry", fmt.Sprintf("delivery:%d", id), "")
	})
}

// Deliveries lists a webhook's latest deliveries, newest first.
func (db *DB) Deliveries(ctx context.Context, webhookID int64, limit int) ([]*Delivery, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+deliveryColumns+deliveryFrom+` WHERE d.webhook_id = ? ORDER BY d.id DESC LIMIT ?`, webhookID, limit)
	if err != nil {
		return nil, fmt.Errorf("db: list deliveries: %w", err)
	}
	defer rows.Close()
	var out []*Delivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, fmt.Errorf("db: scan delivery: %w", err)
		}
		d.URL, d.Secret = "", "" // sealed; a list of deliveries sends nothing
		out = append(out, d)
	}
	return out, rows.Err()
}
