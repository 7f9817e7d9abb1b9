package db

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Clock alert points: when the people of an incident are told about one of
// its pending deadlines.
const (
	AlertHalfTime = "half-time" // half the time from the anchor to the deadline is gone
	AlertHourLeft = "hour-left" // one hour left (deadlines over two hours away only)
	AlertOverdue  = "overdue"
)

// EventIncidentClock is the webhook event of a clock alert: a delivery
// about an incident (Delivery.Ref INC-N, no report) with the obligation,
// the point and the deadline, and nothing the incident says.
const EventIncidentClock EventKind = "incident.clock"

// ClockAlert is one point of one obligation's clock reached, and who is
// told: the incident's owner and the admins of its organisation (and of
// the parent). It carries no incident text: mail and webhooks are
// content-free, the dashboard says the rest.
type ClockAlert struct {
	IncidentID int64
	Ref        string
	Obligation string // preset/stage
	Point      string
	DueAt      time.Time
	To         []AlertRecipient
}

// AlertRecipient is a staff member an alert goes to.
type AlertRecipient struct {
	UserID int64
	Email  string
}

// alertPoint is a point of a clock and when it is reached.
type alertPoint struct {
	name string
	at   time.Time
}

// alertPoints are the points of a clock from anchor to due, in order.
func alertPoints(anchor, due time.Time) []alertPoint {
	var out []alertPoint
	if !anchor.IsZero() && due.After(anchor) {
		out = append(out, alertPoint{AlertHalfTime, anchor.Add(due.Sub(anchor) / 2)})
		if due.Sub(anchor) > 2*time.Hour {
			out = append(out, alertPoint{AlertHourLeft, due.Add(-time.Hour)})
		}
	}
	return append(out, alertPoint{AlertOverdue, due})
}

// IncidentClockAlerts tells the people of each open incident about the
// points its pending deadlines reached by db.Now: compose makes the mail
// of an alert to one recipient, which is queued in the outbox in the
// transaction that records the point, so each point is told once, also
// across restarts. When a worker that was stopped finds several points of
// a clock reached, only the latest is told. It returns how many alerts
// were queued.
func (db *DB) IncidentClockAlerts(ctx context.Context, compose func(a *ClockAlert, to AlertRecipient) *OutMail) (int, error) {
	var n int
	err := db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		n = 0
		rows, err := tx.QueryContext(ctx, `SELECT o.id, o.incident_id, i.org_id, COALESCE(i.owner_id, 0), o.preset || '/' || o.stage, o.anchor_at, o.due_at
			FROM incident_obligations o JOIN incidents i ON i.id = o.incident_id
			WHERE o.state = 'pending' AND o.due_at IS NOT NULL AND i.status <> 'closed' ORDER BY o.due_at LIMIT 1000`)
		if err != nil {
			return fmt.Errorf("db: read incident clocks: %w", err)
		}
		type clock struct {
			id, incident, org, owner int64
			name                     string
			anchor, due              time.Time
		}
		var clocks []clock
		for rows.Next() {
			var c clock
			var anchor sql.NullString
			var due string
			if err := rows.Scan(&c.id, &c.incident, &c.org, &c.owner, &c.name, &anchor, &due); err != nil {
				rows.Close()
				return fmt.Errorf("db: scan incident clock: %w", err)
			}
			c.anchor, c.due = parseNullTime(anchor), parseTime(due)
			clocks = append(clocks, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("db: read incident clocks: %w", err)
		}
		for _, c := range clocks {
			var reached []string
			for _, p := range alertPoints(c.anchor, c.due) {
				if !p.at.After(tx.now) {
					reached = append(reached, p.name)
				}
			}
			if len(reached) == 0 {
				continue
			}
			told := false
			for k, point := range reached {
				res, err := tx.ExecContext(ctx, `INSERT INTO incident_alerts (obligation_id, point, due_at, at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
					c.id, point, formatTime(c.due), formatTime(tx.now))
				if err != nil {
					return fmt.Errorf("db: record clock alert: %w", err)
				}
				fresh, _ := res.RowsAffected()
				if fresh == 0 || k != len(reached)-1 || told {
					continue
				}
				told = true
				a := &ClockAlert{IncidentID: c.incident, Ref: (&Incident{ID: c.incident}).Ref(), Obligation: c.name, Point: point, DueAt: c.due}
				if a.To, err = tx.alertRecipients(ctx, c.org, c.owner); err != nil {
					return err
				}
				for _, to := range a.To {
					m := compose(a, to)
					if m == nil {
						continue
					}
					m.UserID, m.To, m.AutoSubmitted, m.OrgID = to.UserID, to.Email, true, c.org
					if _, err := tx.enqueueMail(ctx, m); err != nil {
						return err
					}
				}
				if err := tx.queueClockWebhooks(ctx, c.org, a); err != nil {
					return err
				}
				if err := tx.audit(ctx, ActorSystem, "incident.clock_alert", a.Ref, a.Obligation+" "+point); err != nil {
					return err
				}
				n++
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// queueClockWebhooks writes a delivery of a clock alert for every enabled
// webhook of the programs of the incident's organisation that an admin of
// it opted in (incident_clocks): a program's webhook may post where
// program-only members read, who must not learn of the organisation's
// incidents. In the transaction that records the point (so once per point,
// like the mail).
func (tx *Tx) queueClockWebhooks(ctx context.Context, orgID int64, a *ClockAlert) error {
	now := formatTime(tx.now)
	if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_deliveries (webhook_id, event, ref, obligation, point, due_at, next_attempt_at, created_at)
		SELECT w.id, ?, ?, ?, ?, ?, ?, ? FROM programs p JOIN webhooks w ON w.program_id = p.id AND w.enabled = 1 AND w.incident_clocks = 1
		WHERE p.org_id = ? ORDER BY w.id`,
		string(EventIncidentClock), a.Ref, a.Obligation, a.Point, formatTime(a.DueAt), now, now, orgID); err != nil {
		return fmt.Errorf("db: queue clock webhooks: %w", err)
	}
	return nil
}

// alertRecipients are the owner of an incident and the admins of its
// organisation and of the parent, active accounts only, each once.
func (tx *Tx) alertRecipients(ctx context.Context, orgID, ownerID int64) ([]AlertRecipient, error) {
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT u.id, u.email FROM users u WHERE u.disabled = 0 AND (u.id = ?
		OR u.id IN (SELECT m.user_id FROM org_members m WHERE m.role = 'admin'
			AND m.org_id IN (?, (SELECT parent_id FROM organisations WHERE id = ?)))) ORDER BY u.id`, ownerID, orgID, orgID)
	if err != nil {
		return nil, fmt.Errorf("db: read alert recipients: %w", err)
	}
	defer rows.Close()
	var out []AlertRecipient
	for rows.Next() {
		var r AlertRecipient
		if err := rows.Scan(&r.UserID, &r.Email); err != nil {
			return nil, fmt.Errorf("db: scan alert recipient: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
