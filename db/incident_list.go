package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"regexp"
	"time"
)

// IncidentRow is one incident of a list, with its clocks in short.
type IncidentRow struct {
	ID       int64
	OrgID    int64
	OrgSlug  string
	Title    string
	Locked   bool
	Severity string
	Status   IncidentStatus
	AwareAt  time.Time
	Reports  int
	Pending  int
	// NextDue is the earliest deadline of a pending obligation (zero: none).
	NextDue time.Time
}

// Ref is the incident's reference.
func (r *IncidentRow) Ref() string { return (&Incident{ID: r.ID}).Ref() }

// IncidentsIn lists the incidents of the organisations orgIDs and of
// their children, newest first; all lists every incident (site admins).
func (db *DB) IncidentsIn(ctx context.Context, orgIDs []int64, all bool) ([]*IncidentRow, error) {
	ids, err := json.Marshal(orgIDs)
	if err != nil {
		return nil, fmt.Errorf("db: encode organisations: %w", err)
	}
	where := `i.org_id IN (SELECT id FROM organisations WHERE id IN (SELECT value FROM json_each(?)) OR parent_id IN (SELECT value FROM json_each(?)))`
	args := []any{string(ids), string(ids)}
	if all {
		where, args = `1`, nil
	}
	rows, err := db.read.QueryContext(ctx, `SELECT i.id, i.org_id, o.slug, i.title, i.sealed, i.severity, i.status, i.aware_at,
		(SELECT COUNT(*) FROM incident_reports ir WHERE ir.incident_id = i.id),
		(SELECT COUNT(*) FROM incident_obligations ob WHERE ob.incident_id = i.id AND ob.state = 'pending'),
		(SELECT MIN(due_at) FROM incident_obligations ob WHERE ob.incident_id = i.id AND ob.state = 'pending')
		FROM incidents i JOIN organisations o ON o.id = i.org_id WHERE `+where+` ORDER BY i.seq DESC LIMIT 500`, args...)
	if err != nil {
		return nil, fmt.Errorf("db: list incidents: %w", err)
	}
	defer rows.Close()
	var out []*IncidentRow
	for rows.Next() {
		var r IncidentRow
		var sealed bool
		var aware, due sql.NullString
		if err := rows.Scan(&r.ID, &r.OrgID, &r.OrgSlug, &r.Title, &sealed, &r.Severity, &r.Status, &aware, &r.Reports, &r.Pending, &due); err != nil {
			return nil, fmt.Errorf("db: scan incident: %w", err)
		}
		if sealed {
			var ok bool
			r.Title, ok = db.openText(r.Title)
			r.Locked = !ok
		}
		r.AwareAt, r.NextDue = parseNullTime(aware), parseNullTime(due)
		out = append(out, &r)
	}
	return out, rows.Err()
}

// IncidentTimeZone is an organisation's zone for incident clocks.
func (db *DB) IncidentTimeZone(ctx context.Context, orgID int64) (string, error) {
	var zone string
	err := db.read.QueryRowContext(ctx, `SELECT time_zone FROM incident_settings WHERE org_id = ?`, orgID).Scan(&zone)
	if err == sql.ErrNoRows {
		return "UTC", nil
	} else if err != nil {
		return "", fmt.Errorf("db: read incident time zone: %w", err)
	}
	return zone, nil
}

// SetIncidentTimeZone sets an organisation's zone for incident clocks and
// moves the deadlines that count calendar days or months in it.
func (db *DB) SetIncidentTimeZone(ctx context.Context, orgID int64, zone string, actor Actor) error {
	if _, err := time.LoadLocation(zone); err != nil || zone == "" || zone == "Local" {
		return Invalid(FieldErrors{"time_zone": "Choose a time zone by its IANA name, like Asia/Kolkata or Europe/Berlin."})
	}
	return db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO incident_settings (org_id, time_zone) VALUES (?, ?)
			ON CONFLICT (org_id) DO UPDATE SET time_zone = excluded.time_zone`, orgID, zone); err != nil {
			if isForeignKey(err) {
				return Errorf(ENOTFOUND, "Organisation not found.")
			}
			return fmt.Errorf("db: set incident time zone: %w", err)
		}
		rows, err := tx.QueryContext(ctx, `SELECT id FROM incidents WHERE org_id = ? AND status <> 'closed'`, orgID)
		if err != nil {
			return fmt.Errorf("db: list incidents: %w", err)
		}
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return fmt.Errorf("db: scan incident: %w", err)
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, id := range ids {
			if err := tx.recomputeDue(ctx, id); err != nil {
				return err
			}
		}
		return tx.audit(ctx, actor, "incident.time_zone", fmt.Sprint(orgID), zone)
	})
}

// SavePreset stores an organisation's own row for a preset stage (its
// contractual hours, a correction of a shipped stage); it takes the place
// of a shipped row with the same preset and stage for new obligations.
func (db *DB) SavePreset(ctx context.Context, orgID int64, p *Preset, actor Actor) error {
	errs := FieldErrors{}
	if !presetNameRE.MatchString(p.Preset) {
		errs["preset"] = "Use lower-case letters, digits and dashes for the preset's name."
	}
	if !presetNameRE.MatchString(p.Stage) {
		errs["stage"] = "Use lower-case letters, digits and dashes for the stage."
	}
	if p.DueAmount < 0 || p.DueAmount > 10000 {
		errs["due_amount"] = "Give 0 (without undue delay) to 10000."
	}
	if p.DueUnit != "hours" && p.DueUnit != "days" && p.DueUnit != "months" {
		errs["due_unit"] = "Choose hours, days or months."
	}
	if p.Anchor != "awareness" && p.Anchor != "corrective" && !(len(p.Anchor) > 5 && p.Anchor[:5] == "sent:" && presetNameRE.MatchString(p.Anchor[5:])) {
		errs["anchor"] = "Choose awareness, corrective or sent:<stage>."
	}
	for name, v := range map[string]string{"title": p.Title, "recipient": p.Recipient, "regime": p.Regime} {
		if v == "" || len(v) > 300 {
			errs[name] = "Fill this in (up to 300 characters)."
		}
	}
	if len(p.Content) > 10000 || len(p.Source) > 1000 {
		errs["content"] = "Keep the content under 10,000 characters and the source under 1,000."
	}
	if len(errs) > 0 {
		return Invalid(errs)
	}
	return db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		var due any
		if p.DueAmount > 0 {
			due = p.DueAmount
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO incident_presets (org_id, preset, stage, position, regime, title, recipient, due_amount,
			due_unit, anchor, content, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (COALESCE(org_id, 0), preset, stage) DO UPDATE SET position = excluded.position, regime = excluded.regime,
			title = excluded.title, recipient = excluded.recipient, due_amount = excluded.due_amount, due_unit = excluded.due_unit,
			anchor = excluded.anchor, content = excluded.content, source = excluded.source`,
			orgID, p.Preset, p.Stage, p.Position, p.Regime, p.Title, p.Recipient, due, p.DueUnit, p.Anchor, p.Content, p.Source); err != nil {
			if isForeignKey(err) {
				return Errorf(ENOTFOUND, "Organisation not found.")
			}
			return fmt.Errorf("db: save preset: %w", err)
		}
		return tx.audit(ctx, actor, "incident.preset", fmt.Sprint(orgID), p.Preset+"/"+p.Stage+": "+p.DueText())
	})
}

// presetNameRE is a preset's or a stage's name.
var presetNameRE = regexp.MustCompile(`^[a-z][a-z0-9-]{0,39}$`)
