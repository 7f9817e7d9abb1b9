package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Preset is one stage of a notification regime (incident_presets): who
// must be told, what, and by when. Shipped presets have OrgID 0; an
// organisation's own row with the same Preset and Stage takes their place.
type Preset struct {
	ID        int64
	OrgID     int64
	Preset    string
	Stage     string
	Position  int
	Regime    string
	Title     string
	Recipient string
	// DueAmount of DueUnit ("hours", "days", "months") after the anchor; 0
	// means "without undue delay" (no fixed deadline).
	DueAmount int
	DueUnit   string
	// Anchor is what the clock runs from: "awareness", "corrective" or
	// "sent:<stage>" (another stage of the same preset being sent).
	Anchor  string
	Content string
	Source  string
}

// DueText says the deadline in words: "within 72 hours of awareness".
func (p *Preset) DueText() string { return dueText(p.DueAmount, p.DueUnit, p.Anchor) }

func dueText(amount int, unit, anchor string) string {
	from := "awareness"
	switch {
	case anchor == "corrective":
		from = "a corrective measure being available"
	case strings.HasPrefix(anchor, "sent:"):
		from = "the " + strings.TrimPrefix(anchor, "sent:") + " being sent"
	}
	if amount == 0 {
		return "without undue delay after " + from
	}
	u := strings.TrimSuffix(unit, "s")
	if amount != 1 {
		u = unit
	}
	return fmt.Sprintf("within %d %s of %s", amount, u, from)
}

const presetColumns = `id, COALESCE(org_id, 0), preset, stage, position, regime, title, recipient, COALESCE(due_amount, 0), due_unit, anchor, content, source`

func scanPreset(row interface{ Scan(...any) error }) (*Preset, error) {
	var p Preset
	err := row.Scan(&p.ID, &p.OrgID, &p.Preset, &p.Stage, &p.Position, &p.Regime, &p.Title, &p.Recipient, &p.DueAmount, &p.DueUnit, &p.Anchor, &p.Content, &p.Source)
	return &p, err
}

// Presets lists the presets an organisation chooses from: its own rows and
// the shipped ones it has not replaced, in their order.
func (db *DB) Presets(ctx context.Context, orgID int64) ([]*Preset, error) {
	return presetsOf(ctx, db.read, orgID)
}

func presetsOf(ctx context.Context, q querier, orgID int64) ([]*Preset, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+presetColumns+` FROM incident_presets p WHERE org_id = ?
		OR (org_id IS NULL AND NOT EXISTS (SELECT 1 FROM incident_presets o WHERE o.org_id = ? AND o.preset = p.preset AND o.stage = p.stage))
		ORDER BY position, preset, stage`, orgID, orgID)
	if err != nil {
		return nil, fmt.Errorf("db: list presets: %w", err)
	}
	defer rows.Close()
	var out []*Preset
	for rows.Next() {
		p, err := scanPreset(rows)
		if err != nil {
			return nil, fmt.Errorf("db: scan preset: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// PresetNames lists the distinct preset names of presets, in order.
func PresetNames(presets []*Preset) []string {
	var out []string
	seen := map[string]bool{}
	for _, p := range presets {
		if !seen[p.Preset] {
			seen[p.Preset] = true
			out = append(out, p.Preset)
		}
	}
	return out
}

// Obligation is one notification an incident owes.
type Obligation struct {
	ID         int64
	IncidentID int64
	Preset
	// DueAt is when it is due; zero when there is no fixed deadline or its
	// anchor has not happened yet (awareness not recorded, no corrective
	// measure, the earlier stage not sent).
	DueAt     time.Time
	State     string // "pending", "sent", "not_required"
	SentAt    time.Time
	SentTo    string
	Reference string
	SentCopy  string
	Reason    string
	Locked    bool // the copy is sealed and the key locked
}

// Overdue says whether a pending obligation's deadline has passed at now.
func (o *Obligation) Overdue(now time.Time) bool {
	return o.State == "pending" && !o.DueAt.IsZero() && now.After(o.DueAt)
}

// addObligations adds the stages of the named presets to an incident,
// copied from the organisation's presets; a stage it has already is kept.
func (tx *Tx) addObligations(ctx context.Context, incidentID, orgID int64, ref string, names []string, actor Actor) error {
	if len(names) == 0 {
		return nil
	}
	presets, err := presetsOf(ctx, tx, orgID)
	if err != nil {
		return err
	}
	for _, name := range names {
		found := false
		for _, p := range presets {
			if p.Preset != name {
				continue
			}
			found = true
			var due any
			if p.DueAmount > 0 {
				due = p.DueAmount
			}
			// The id is random, as an incident's (migration 0035): forms
			// and URLs show it. seq, never shown, orders ties.
			var res sql.Result
			for range 8 {
				id, rerr := randomTenDigits()
				if rerr != nil {
					return fmt.Errorf("db: obligation id: %w", rerr)
				}
				res, err = tx.ExecContext(ctx, `INSERT INTO incident_obligations (id, seq, incident_id, preset, stage, position, regime, title, recipient,
					due_amount, due_unit, anchor, content, source) VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM incident_obligations),
					?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (incident_id, preset, stage) DO NOTHING`,
					id, incidentID, p.Preset, p.Stage, p.Position, p.Regime, p.Title, p.Recipient, due, p.DueUnit, p.Anchor, p.Content, p.Source)
				if !isPrimaryKey(err) && !isUnique(err) {
					break
				}
			}
			if err != nil {
				return fmt.Errorf("db: add obligation: %w", err)
			}
			if n, _ := res.RowsAffected(); n > 0 {
				if err := tx.incidentEvent(ctx, incidentID, ref, actor, "obligation.add", p.Preset+"/"+p.Stage+": "+p.DueText()); err != nil {
					return err
				}
			}
		}
		if !found {
			return Invalid(FieldErrors{"preset": fmt.Sprintf("There is no preset %q.", name)})
		}
	}
	return nil
}

// AddObligations adds the stages of the named presets to an incident.
func (db *DB) AddObligations(ctx context.Context, id, version int64, names []string, actor Actor) error {
	return db.updateIncident(ctx, id, version, func(ctx context.Context, tx *Tx, i *Incident) error {
		return tx.addObligations(ctx, id, i.OrgID, i.Ref(), names, actor)
	})
}

const obligationColumns = `id, incident_id, preset, stage, position, regime, title, recipient, COALESCE(due_amount, 0), due_unit, anchor,
	content, source, due_at, state, sent_at, sent_to, reference, sent_copy, reason, sealed`

func (db *DB) scanObligation(row interface{ Scan(...any) error }) (*Obligation, error) {
	var o Obligation
	var due, sent sql.NullString
	var sealed bool
	if err := row.Scan(&o.ID, &o.IncidentID, &o.Preset.Preset, &o.Stage, &o.Position, &o.Regime, &o.Title, &o.Recipient, &o.DueAmount,
		&o.DueUnit, &o.Anchor, &o.Content, &o.Source, &due, &o.State, &sent, &o.SentTo, &o.Reference, &o.SentCopy, &o.Reason, &sealed); err != nil {
		return nil, err
	}
	o.DueAt, o.SentAt = parseNullTime(due), parseNullTime(sent)
	if sealed {
		var ok bool
		o.SentCopy, ok = db.openText(o.SentCopy)
		o.Locked = !ok
	}
	return &o, nil
}

// Obligations lists an incident's obligations in preset order.
func (db *DB) Obligations(ctx context.Context, incidentID int64) ([]*Obligation, error) {
	return db.obligations(ctx, db.read, incidentID)
}

func (db *DB) obligations(ctx context.Context, q querier, incidentID int64) ([]*Obligation, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+obligationColumns+` FROM incident_obligations WHERE incident_id = ? ORDER BY position, seq`, incidentID)
	if err != nil {
		return nil, fmt.Errorf("db: list obligations: %w", err)
	}
	defer rows.Close()
	var out []*Obligation
	for rows.Next() {
		o, err := db.scanObligation(rows)
		if err != nil {
			return nil, fmt.Errorf("db: scan obligation: %w", err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// DueAt is the deadline amount units after anchor. Hours are elapsed time
// (72 hours are 72 hours across a daylight-saving change); days and months
// are calendar days and months in loc, at the same wall-clock time, and a
// month from the 31st ends on the last day of a shorter month (31 January
// + 1 month = 28 or 29 February, not 3 March).
func DueAt(anchor time.Time, amount int, unit string, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	t := anchor.In(loc)
	switch unit {
	case "days":
		return t.AddDate(0, 0, amount).UTC()
	case "months":
		y, m, d := t.Date()
		first := time.Date(y, m+time.Month(amount), 1, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), loc)
		if last := first.AddDate(0, 1, -1).Day(); d > last {
			d = last
		}
		return time.Date(first.Year(), first.Month(), d, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), loc).UTC()
	default:
		return anchor.Add(time.Duration(amount) * time.Hour).UTC()
	}
}

// recomputeDue sets due_at of each obligation of an incident from what it
// runs from now: awareness, the corrective measure, another stage's
// sending. Every write that moves one of those calls it.
func (tx *Tx) recomputeDue(ctx context.Context, incidentID int64) error {
	var aware, corrective sql.NullString
	var zone string
	err := tx.QueryRowContext(ctx, `SELECT aware_at, corrective_at, COALESCE((SELECT time_zone FROM incident_settings WHERE org_id = i.org_id), 'UTC')
		FROM incidents i WHERE id = ?`, incidentID).Scan(&aware, &corrective, &zone)
	if errors.Is(err, sql.ErrNoRows) {
		return Errorf(ENOTFOUND, "Incident not found.")
	} else if err != nil {
		return fmt.Errorf("db: read incident clocks: %w", err)
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		loc = time.UTC
	}
	obs, err := tx.db.obligations(ctx, tx, incidentID)
	if err != nil {
		return err
	}
	sentAt := map[string]time.Time{}
	for _, o := range obs {
		if o.State == "sent" {
			sentAt[o.Preset.Preset+"/"+o.Stage] = o.SentAt
		}
	}
	for _, o := range obs {
		var from time.Time
		switch {
		case o.Anchor == "awareness":
			from = parseNullTime(aware)
		case o.Anchor == "corrective":
			from = parseNullTime(corrective)
		case strings.HasPrefix(o.Anchor, "sent:"):
			from = sentAt[o.Preset.Preset+"/"+strings.TrimPrefix(o.Anchor, "sent:")]
		}
		var due any
		if !from.IsZero() {
			if o.DueAmount > 0 {
				due = formatTime(DueAt(from, o.DueAmount, o.DueUnit, loc))
			}
		}
		if fmt.Sprint(due) == fmt.Sprint(formatNullTime(o.DueAt)) {
			continue
		}
		if _, err := tx.ExecContext(ctx, `UPDATE incident_obligations SET due_at = ?, anchor_at = ? WHERE id = ?`, due, formatNullTime(from), o.ID); err != nil {
			return fmt.Errorf("db: set due time: %w", err)
		}
	}
	return nil
}

// ObligationUpdate is the form of an obligation's state: sent (when, to
// whom, the recipient's reference, a copy of what was sent), not required
// (why), or pending again.
type ObligationUpdate struct {
	State     string
	SentAt    time.Time
	SentTo    string
	Reference string
	SentCopy  string
	Reason    string
}

// maxSentCopy bounds the copy of a notification kept with it.
const maxSentCopy = 200000

// SetObligation records an obligation's state. The obligation is looked up
// under the incident only, so an id of another incident is not found.
func (db *DB) SetObligation(ctx context.Context, incidentID, version, obligationID int64, in ObligationUpdate, actor Actor) error {
	in.SentTo, in.Reference, in.Reason = strings.TrimSpace(in.SentTo), strings.TrimSpace(in.Reference), strings.TrimSpace(in.Reason)
	errs := FieldErrors{}
	detail := ""
	switch in.State {
	case "sent":
		if in.SentAt.IsZero() {
			errs["sent_at"] = "Give the date and time it was sent."
		} else if in.SentAt.After(db.Now().Add(time.Minute)) {
			errs["sent_at"] = "It cannot have been sent in the future."
		}
		if in.SentTo == "" || len(in.SentTo) > 500 {
			errs["sent_to"] = "Say to whom it was sent (up to 500 characters)."
		}
		if len(in.Reference) > 500 {
			errs["reference"] = "Keep the reference under 500 characters."
		}
		if len(in.SentCopy) > maxSentCopy {
			errs["sent_copy"] = "Keep the copy under 200,000 characters."
		}
		detail = "sent at " + in.SentAt.UTC().Format(time.RFC3339) + " to " + in.SentTo
		if in.Reference != "" {
			detail += ", reference " + in.Reference
		}
	case "not_required":
		if in.Reason == "" || len(in.Reason) > 2000 {
			errs["reason"] = "Say why this notification is not required (up to 2,000 characters)."
		}
		detail = "not required: " + in.Reason
	case "pending":
		detail = "pending again"
	default:
		errs["state"] = "Choose sent, not required or pending."
	}
	if len(errs) > 0 {
		return Invalid(errs)
	}
	copyText, sealed := in.SentCopy, false
	if in.State != "sent" {
		copyText = ""
	}
	if db.sealOn && copyText != "" {
		var err error
		if copyText, err = db.sealText(copyText); err != nil {
			return err
		}
		sealed = true
	}
	return db.updateIncident(ctx, incidentID, version, func(ctx context.Context, tx *Tx, i *Incident) error {
		var sentAt any
		sentTo, ref, reason := "", "", ""
		switch in.State {
		case "sent":
			sentAt, sentTo, ref = formatTime(in.SentAt), in.SentTo, in.Reference
		case "not_required":
			reason = in.Reason
		}
		var name string
		err := tx.QueryRowContext(ctx, `UPDATE incident_obligations SET state = ?, sent_at = ?, sent_to = ?, reference = ?, sent_copy = ?,
			reason = ?, sealed = ? WHERE id = ? AND incident_id = ? RETURNING preset || '/' || stage`,
			in.State, sentAt, sentTo, ref, copyText, reason, sealed, obligationID, incidentID).Scan(&name)
		if errors.Is(err, sql.ErrNoRows) {
			return Errorf(ENOTFOUND, "This incident has no such notification.")
		} else if err != nil {
			return fmt.Errorf("db: set obligation: %w", err)
		}
		return tx.incidentEvent(ctx, incidentID, i.Ref(), actor, "obligation", name+" "+detail)
	})
}
