package db

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// IncidentEdit is the form of an incident's fields: every field is sent;
// the ones that changed are written, each named on the timeline (the
// checklist's text itself stays out of the timeline and the audit log).
type IncidentEdit struct {
	Title     string
	Severity  string
	OwnerID   int64 // 0: nobody
	Checklist Checklist
	// PersonalData is "unknown", "yes" or "no"; People is the number of
	// people affected, "" when not known.
	PersonalData string
	People       string
}

// EditIncident writes the changed fields of an incident. The owner must be
// a staff member who works in the incident's organisation.
func (db *DB) EditIncident(ctx context.Context, id, version int64, actor Actor, in IncidentEdit) error {
	in.Title = strings.TrimSpace(in.Title)
	errs := FieldErrors{}
	validateIncidentHead(in.Title, in.Severity, errs)
	for _, f := range in.Checklist.fields() {
		*f.value = strings.TrimSpace(*f.value)
		if utf8.RuneCountInString(*f.value) > maxChecklistRunes {
			errs[f.name] = fmt.Sprintf("Keep this under %d characters.", maxChecklistRunes)
		}
	}
	if in.PersonalData != "unknown" && in.PersonalData != "yes" && in.PersonalData != "no" {
		errs["personal_data"] = "Choose yes, no or not known yet."
	}
	var people any
	if p := strings.TrimSpace(in.People); p != "" {
		n, err := strconv.ParseInt(p, 10, 64)
		if err != nil || n < 0 || n > 1e11 {
			errs["people"] = "Give the number of people as a whole number, or leave it empty when not known."
		} else {
			people = n
		}
	}
	if len(errs) > 0 {
		return Invalid(errs)
	}
	return db.updateIncident(ctx, id, version, func(ctx context.Context, tx *Tx, i *Incident) error {
		if i.Locked {
			return Errorf(EFORBIDDEN, "This incident is sealed and the team key is locked: an admin must unlock it before its fields can be edited.")
		}
		var changed []string
		if in.Title != i.Title {
			changed = append(changed, "title")
		}
		if in.Severity != i.Severity {
			changed = append(changed, "severity "+i.Severity+" → "+in.Severity)
		}
		if in.OwnerID != i.OwnerID {
			if in.OwnerID != 0 {
				if err := tx.checkIncidentOwner(ctx, in.OwnerID, i.OrgID); err != nil {
					return err
				}
			}
			changed = append(changed, "owner")
		}
		old := i.Checklist
		oldFields, newFields := old.fields(), in.Checklist.fields()
		for k := range newFields {
			if *newFields[k].value != *oldFields[k].value {
				changed = append(changed, newFields[k].label)
			}
		}
		if in.PersonalData != i.PersonalData {
			changed = append(changed, "personal data involved: "+in.PersonalData)
		}
		oldPeople := ""
		if i.PeopleKnown {
			oldPeople = strconv.FormatInt(i.PeopleAffected, 10)
		}
		if np := fmt.Sprint(people); (people == nil && oldPeople != "") || (people != nil && np != oldPeople) {
			if people == nil {
				changed = append(changed, "people affected: not known")
			} else {
				changed = append(changed, "people affected: "+np)
			}
		}
		if len(changed) == 0 {
			return nil
		}
		body, err := json.Marshal(in.Checklist)
		if err != nil {
			return fmt.Errorf("db: encode checklist: %w", err)
		}
		title, checklist := in.Title, string(body)
		if checklist == "{}" {
			checklist = ""
		}
		if i.Sealed {
			if err := tx.db.sealTexts(&title, &checklist); err != nil {
				return err
			}
		}
		var owner any
		if in.OwnerID != 0 {
			owner = in.OwnerID
		}
		if _, err := tx.ExecContext(ctx, `UPDATE incidents SET title = ?, severity = ?, owner_id = ?, checklist = ?, personal_data = ?,
			people_affected = ? WHERE id = ?`, title, in.Severity, owner, checklist, in.PersonalData, people, id); err != nil {
			return fmt.Errorf("db: edit incident: %w", err)
		}
		return tx.incidentEvent(ctx, id, i.Ref(), actor, "edit", strings.Join(changed, "; "))
	})
}

// checkIncidentOwner refuses an owner who does not work in the organisation.
func (tx *Tx) checkIncidentOwner(ctx context.Context, userID, orgID int64) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users u WHERE u.id = ? AND u.disabled = 0 AND (u.role = 'admin'
		OR EXISTS (SELECT 1 FROM org_members m WHERE m.user_id = u.id AND m.role IN ('admin', 'triager')
			AND m.org_id IN (?, (SELECT parent_id FROM organisations WHERE id = ?))))`, userID, orgID, orgID).Scan(&n); err != nil {
		return fmt.Errorf("db: check owner: %w", err)
	}
	if n == 0 {
		return Invalid(FieldErrors{"owner": "Choose an admin or triager of this organisation as the owner."})
	}
	return nil
}

// SetIncidentStatus moves an incident along open → contained → recovered →
// closed (incidentMoves). Closing needs every obligation sent or marked not
// required.
func (db *DB) SetIncidentStatus(ctx context.Context, id, version int64, to IncidentStatus, actor Actor) error {
	return db.updateIncident(ctx, id, version, func(ctx context.Context, tx *Tx, i *Incident) error {
		if !incidentMoveAllowed(i.Status, to) {
			return Errorf(EINVALID, "An incident that is %s cannot become %s.", i.Status, to)
		}
		closedAt := any(nil)
		if to == IncidentClosed {
			var pending int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM incident_obligations WHERE incident_id = ? AND state = 'pending'`, id).Scan(&pending); err != nil {
				return fmt.Errorf("db: count pending obligations: %w", err)
			}
			if pending > 0 {
				return Errorf(EINVALID, "%s still pending: mark each one sent or not required before closing the incident.", count(pending, "notification is", "notifications are"))
			}
			closedAt = formatTime(tx.now)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE incidents SET status = ?, closed_at = ? WHERE id = ?`, to, closedAt, id); err != nil {
			return fmt.Errorf("db: set incident status: %w", err)
		}
		return tx.incidentEvent(ctx, id, i.Ref(), actor, "status", string(i.Status)+" → "+string(to))
	})
}

// maxAwarenessSource bounds what awareness was learnt from.
const maxAwarenessSource = 500

// validateAwareness checks an awareness time and its source: it cannot be
// in the future (a clock that has not started yet is no clock), and the
// source must be said.
func validateAwareness(at time.Time, source string, now time.Time, errs FieldErrors) {
	if at.IsZero() {
		errs["aware_at"] = "Give the date and time the organisation became aware of the incident."
	} else if at.After(now.Add(time.Minute)) {
		errs["aware_at"] = "Awareness cannot be in the future."
	}
	if n := utf8.RuneCountInString(source); n == 0 || n > maxAwarenessSource {
		errs["aware_source"] = fmt.Sprintf("Say what made the organisation aware (a report, a call, an alert), up to %d characters.", maxAwarenessSource)
	}
}

// recordAwareness stores awareness, by the actor, and says so on the timeline.
func (tx *Tx) recordAwareness(ctx context.Context, id int64, ref string, at time.Time, source string, actor Actor) error {
	var by any
	if actor.UserID != 0 {
		by = actor.UserID
	}
	if _, err := tx.ExecContext(ctx, `UPDATE incidents SET aware_at = ?, aware_by = ?, aware_source = ?, aware_noted_at = ? WHERE id = ?`,
		formatTime(at), by, source, formatTime(tx.now), id); err != nil {
		return fmt.Errorf("db: record awareness: %w", err)
	}
	return tx.incidentEvent(ctx, id, ref, actor, "awareness", "aware at "+at.UTC().Format(time.RFC3339)+"; from: "+source)
}

// RecordAwareness records (or corrects) when the organisation became aware
// of an incident and from what; every clock moves with it, and the
// timeline keeps the earlier value.
func (db *DB) RecordAwareness(ctx context.Context, id, version int64, at time.Time, source string, actor Actor) error {
	source = strings.TrimSpace(source)
	errs := FieldErrors{}
	validateAwareness(at, source, db.Now(), errs)
	if len(errs) > 0 {
		return Invalid(errs)
	}
	return db.updateIncident(ctx, id, version, func(ctx context.Context, tx *Tx, i *Incident) error {
		return tx.recordAwareness(ctx, id, i.Ref(), at, source, actor)
	})
}

// SetCorrectiveMeasure records when a corrective measure (a fix, a
// mitigation users can apply) became available; zero clears it.
func (db *DB) SetCorrectiveMeasure(ctx context.Context, id, version int64, at time.Time, actor Actor) error {
	if !at.IsZero() && at.After(db.Now().Add(time.Minute)) {
		return Invalid(FieldErrors{"corrective_at": "A corrective measure cannot be available in the future."})
	}
	return db.updateIncident(ctx, id, version, func(ctx context.Context, tx *Tx, i *Incident) error {
		if _, err := tx.ExecContext(ctx, `UPDATE incidents SET corrective_at = ? WHERE id = ?`, formatNullTime(at), id); err != nil {
			return fmt.Errorf("db: set corrective measure: %w", err)
		}
		detail := "cleared"
		if !at.IsZero() {
			detail = "available at " + at.UTC().Format(time.RFC3339)
		}
		return tx.incidentEvent(ctx, id, i.Ref(), actor, "corrective", detail)
	})
}
