package db

import (
	"context"
	"fmt"
	"time"
)

// IncidentDueSoon is how close a deadline of an incident is "due soon":
// the incidents list's filter and the queue's use the same span.
const IncidentDueSoon = 6 * time.Hour

// Queue filter words for incident clocks (QueueParams.Clock).
const (
	ClockDue     = "due"     // a linked incident's next deadline is due soon or overdue
	ClockOverdue = "overdue" // a linked incident's next deadline has passed
)

// IncidentClock is the nearest pending deadline of the incidents a report
// is linked to, as the queue shows it: no incident text, only the
// reference, when and in which zone.
type IncidentClock struct {
	IncidentID int64
	DueAt      time.Time
	TimeZone   string // the organisation's zone for incident clocks
}

// Ref is the incident's reference.
func (c *IncidentClock) Ref() string { return (&Incident{ID: c.IncidentID}).Ref() }

// IncidentScope is which organisations' incident clocks a queue view
// shows: those of Orgs and of their children, or every one with All (site
// admins). The zero value shows none, so a caller that forgets to scope
// leaks nothing.
type IncidentScope struct {
	Orgs []int64
	All  bool
}

// Any says whether the scope holds any organisation.
func (s IncidentScope) Any() bool { return s.All || len(s.Orgs) > 0 }

// where is the scope as a condition on incidents i.
func (s IncidentScope) where() (string, []any) {
	if s.All {
		return `1`, nil
	}
	ids := jsonIDs(s.Orgs)
	return `i.org_id IN (SELECT id FROM organisations WHERE id IN (SELECT value FROM json_each(?)) OR parent_id IN (SELECT value FROM json_each(?)))`,
		[]any{ids, ids}
}

// clockCond is the queue's condition for f.Clock: the report is linked to
// an incident of f's scope with a pending deadline before the limit
// (IncidentDueSoon from now, or now for overdue). It reads the
// obligations' due index and the links by incident, both small, and
// meets the reports by key; lead says it leads the view (r.id usable).
func clockCond(f QueueFilter, now time.Time, lead bool) (string, []any) {
	limit := now.Add(IncidentDueSoon)
	if f.Clock == ClockOverdue {
		limit = now
	}
	scope, args := f.Incidents.where()
	if !f.Incidents.Any() {
		scope, args = `0`, nil
	}
	col := `+r.id`
	if lead {
		col = `r.id`
	}
	return col + ` IN (SELECT ir.report_id FROM incident_obligations o JOIN incidents i ON i.id = o.incident_id
		JOIN incident_reports ir ON ir.incident_id = o.incident_id
		WHERE o.state = 'pending' AND o.due_at IS NOT NULL AND o.due_at < ? AND i.status <> 'closed' AND ` + scope + `)`,
		append([]any{formatTime(limit)}, args...)
}

// attachIncidentClocks fills the incident clock of each queue row linked
// to an incident of f's scope with a pending deadline: one statement for
// the page, from the links of its reports.
func (db *DB) attachIncidentClocks(ctx context.Context, f QueueFilter, rows []*QueueRow) error {
	if len(rows) == 0 || !f.Incidents.Any() {
		return nil
	}
	ids := make([]int64, len(rows))
	byID := make(map[int64]*QueueRow, len(rows))
	for k, r := range rows {
		ids[k], byID[r.ID] = r.ID, r
	}
	scope, args := f.Incidents.where()
	// MIN with bare columns: SQLite takes them from the row of the minimum.
	q, err := db.read.QueryContext(ctx, `SELECT ir.report_id, ir.incident_id, MIN(o.due_at), COALESCE(s.time_zone, 'UTC')
		FROM incident_reports ir INDEXED BY incident_reports_report JOIN incidents i ON i.id = ir.incident_id
		JOIN incident_obligations o ON o.incident_id = ir.incident_id LEFT JOIN incident_settings s ON s.org_id = i.org_id
		WHERE ir.report_id IN (SELECT value FROM json_each(?)) AND o.state = 'pending' AND o.due_at IS NOT NULL
		AND i.status <> 'closed' AND `+scope+` GROUP BY ir.report_id`, append([]any{jsonIDs(ids)}, args...)...)
	if err != nil {
		return fmt.Errorf("db: read incident clocks of the queue: %w", err)
	}
	defer q.Close()
	for q.Next() {
		var report int64
		var due string
		c := &IncidentClock{}
		if err := q.Scan(&report, &c.IncidentID, &due, &c.TimeZone); err != nil {
			return fmt.Errorf("db: scan incident clock: %w", err)
		}
		c.DueAt = parseTime(due)
		if r := byID[report]; r != nil {
			r.Incident = c
		}
	}
	if err := q.Err(); err != nil {
		return fmt.Errorf("db: read incident clocks of the queue: %w", err)
	}
	return nil
}
