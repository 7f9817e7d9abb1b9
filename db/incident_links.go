package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// linkReport links a report to an incident and puts it on legal hold. The
// report must belong to a program of the incident's organisation: an
// incident never reaches into another tenant.
func (tx *Tx) linkReport(ctx context.Context, incidentID, orgID int64, incRef string, reportID int64, actor Actor) error {
	var ref string
	var held bool
	err := tx.QueryRowContext(ctx, `SELECT p.prefix || '-' || r.number, r.legal_hold FROM reports r JOIN programs p ON p.id = r.program_id
		WHERE r.id = ? AND p.org_id = ?`, reportID, orgID).Scan(&ref, &held)
	if errors.Is(err, sql.ErrNoRows) {
		return Invalid(FieldErrors{"report": "No report of this organisation has this reference."})
	} else if err != nil {
		return fmt.Errorf("db: find report to link: %w", err)
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO incident_reports (incident_id, report_id, linked_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
		incidentID, reportID, formatTime(tx.now))
	if err != nil {
		return fmt.Errorf("db: link report: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return Invalid(FieldErrors{"report": ref + " is linked to this incident already."})
	}
	if err := tx.incidentEvent(ctx, incidentID, incRef, actor, "report.link", ref+" linked; on legal hold"); err != nil {
		return err
	}
	if !held {
		if _, err := tx.ExecContext(ctx, `UPDATE reports SET legal_hold = 1 WHERE id = ?`, reportID); err != nil {
			return fmt.Errorf("db: set legal hold: %w", err)
		}
		if err := tx.audit(ctx, actor, "report.legal_hold", ref, "linked to incident "+incRef); err != nil {
			return err
		}
	}
	return nil
}

// LinkReport links one more report to an incident (legal hold at once).
func (db *DB) LinkReport(ctx context.Context, incidentID, version, reportID int64, actor Actor) error {
	return db.updateIncident(ctx, incidentID, version, func(ctx context.Context, tx *Tx, i *Incident) error {
		return tx.linkReport(ctx, i.ID, i.OrgID, i.Ref(), reportID, actor)
	})
}

// LinkedReport is a report of an incident, as its page lists it.
type LinkedReport struct {
	ID        int64
	ProgramID int64
	Ref       string
	Title     string
	State     State
	Exploited bool
	LegalHold bool
	Locked    bool
}

// IncidentReports lists the reports linked to an incident.
func (db *DB) IncidentReports(ctx context.Context, incidentID int64) ([]LinkedReport, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT r.id, r.program_id, p.prefix || '-' || r.number, r.title, r.state, r.exploited, r.legal_hold, r.sealed
		FROM incident_reports ir JOIN reports r ON r.id = ir.report_id JOIN programs p ON p.id = r.program_id
		WHERE ir.incident_id = ? ORDER BY ir.linked_at, r.id`, incidentID)
	if err != nil {
		return nil, fmt.Errorf("db: incident reports: %w", err)
	}
	defer rows.Close()
	var out []LinkedReport
	for rows.Next() {
		var r LinkedReport
		var sealed bool
		if err := rows.Scan(&r.ID, &r.ProgramID, &r.Ref, &r.Title, &r.State, &r.Exploited, &r.LegalHold, &sealed); err != nil {
			return nil, fmt.Errorf("db: scan incident report: %w", err)
		}
		if sealed {
			var ok bool
			r.Title, ok = db.openText(r.Title)
			r.Locked = !ok
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// IncidentLink is an incident a report is linked to, as the report's page
// shows it.
type IncidentLink struct {
	ID     int64
	OrgID  int64
	Status IncidentStatus
}

// Ref is the incident's reference.
func (l IncidentLink) Ref() string { return (&Incident{ID: l.ID}).Ref() }

// ReportIncidents lists the incidents a report is linked to.
func (db *DB) ReportIncidents(ctx context.Context, reportID int64) ([]IncidentLink, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT i.id, i.org_id, i.status FROM incident_reports ir JOIN incidents i ON i.id = ir.incident_id
		WHERE ir.report_id = ? ORDER BY i.seq`, reportID)
	if err != nil {
		return nil, fmt.Errorf("db: report incidents: %w", err)
	}
	defer rows.Close()
	var out []IncidentLink
	for rows.Next() {
		var l IncidentLink
		if err := rows.Scan(&l.ID, &l.OrgID, &l.Status); err != nil {
			return nil, fmt.Errorf("db: scan report incident: %w", err)
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// incidentHold is the part of a retention condition that keeps the
// reports linked to an incident, whatever reports.legal_hold says.
const incidentHold = ` AND NOT EXISTS (SELECT 1 FROM incident_reports ir WHERE ir.report_id = r.id)`

// refuseReleaseLinked refuses to release the legal hold of a report an
// incident holds: the incident's evidence must outlive an admin's click.
func (tx *Tx) refuseReleaseLinked(ctx context.Context, reportID int64) error {
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT incident_id FROM incident_reports WHERE report_id = ? LIMIT 1`, reportID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	} else if err != nil {
		return fmt.Errorf("db: find incident of report: %w", err)
	}
	return Errorf(ECONFLICT, "This report is evidence of incident INC-%d: its legal hold lasts as long as it is linked to the incident.", id)
}
