package db

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// IncidentStatus is where the response to an incident stands.
type IncidentStatus string

// Incident statuses, in the order a response goes through them.
const (
	IncidentOpen      IncidentStatus = "open"
	IncidentContained IncidentStatus = "contained"
	IncidentRecovered IncidentStatus = "recovered"
	IncidentClosed    IncidentStatus = "closed"
)

// IncidentStatuses lists the statuses in their order.
var IncidentStatuses = []IncidentStatus{IncidentOpen, IncidentContained, IncidentRecovered, IncidentClosed}

// incidentMoves are the allowed status changes: one step forward, one step
// back (containment that did not hold), closing an open incident (a false
// alarm) and reopening a closed one.
var incidentMoves = map[IncidentStatus][]IncidentStatus{
	IncidentOpen:      {IncidentContained, IncidentClosed},
	IncidentContained: {IncidentRecovered, IncidentOpen},
	IncidentRecovered: {IncidentClosed, IncidentContained},
	IncidentClosed:    {IncidentOpen},
}

// IncidentMoves lists the statuses an incident in status s may move to.
func IncidentMoves(s IncidentStatus) []IncidentStatus { return incidentMoves[s] }

// incidentMoveAllowed says whether an incident may go from one status to the other.
func incidentMoveAllowed(from, to IncidentStatus) bool {
	for _, s := range incidentMoves[from] {
		if s == to {
			return true
		}
	}
	return false
}

// IncidentSeverities are the severities an incident may have, lowest first.
var IncidentSeverities = []string{"low", "medium", "high", "critical"}

// Checklist is the response checklist of an incident. It is stored as one
// JSON value (sealed in a sealed database), so adding a question needs no
// migration.
type Checklist struct {
	Scope          string `json:"scope,omitempty"`
	Systems        string `json:"systems,omitempty"`
	DataCategories string `json:"data_categories,omitempty"`
	Containment    string `json:"containment,omitempty"`
	Recovery       string `json:"recovery,omitempty"`
	Evidence       string `json:"evidence,omitempty"`
	RootCause      string `json:"root_cause,omitempty"`
	Remediation    string `json:"remediation,omitempty"`
	Lessons        string `json:"lessons,omitempty"`
}

// fields are the checklist's answers with their form names and labels.
func (c *Checklist) fields() []checklistField {
	return []checklistField{{"scope", "scope", &c.Scope}, {"systems", "affected systems", &c.Systems},
		{"data_categories", "data categories", &c.DataCategories}, {"containment", "containment steps", &c.Containment},
		{"recovery", "recovery needs", &c.Recovery}, {"evidence", "evidence preserved", &c.Evidence},
		{"root_cause", "root cause", &c.RootCause}, {"remediation", "remediation", &c.Remediation},
		{"lessons", "lessons learned", &c.Lessons}}
}

type checklistField struct {
	name, label string
	value       *string
}

// maxChecklistRunes bounds one answer of the checklist.
const maxChecklistRunes = 20000

// Incident is the response to a breach, within one organisation.
type Incident struct {
	ID        int64
	OrgID     int64
	OrgSlug   string
	OrgName   string
	Title     string
	Severity  string
	OwnerID   int64
	OwnerName string
	Status    IncidentStatus
	Checklist Checklist
	// PersonalData is "unknown", "yes" or "no"; PeopleAffected counts the
	// people whose data is involved when PeopleKnown.
	PersonalData   string
	PeopleAffected int64
	PeopleKnown    bool
	Sealed         bool
	Locked         bool // sealed and not readable now: Title is SealedText
	// Awareness: when the organisation became aware of the incident, who
	// recorded it and from what. Every clock runs from AwareAt; zero means
	// not recorded yet (no clock runs).
	AwareAt      time.Time
	AwareByID    int64
	AwareByName  string
	AwareSource  string
	AwareNotedAt time.Time
	// CorrectiveAt is when a corrective measure became available (zero: not yet).
	CorrectiveAt time.Time
	Version      int64
	CreatedAt    time.Time
	UpdatedAt    time.Time
	ClosedAt     time.Time
	// TimeZone is the organisation's zone for clocks (incident_settings).
	TimeZone string
}

// incidentIDMin and incidentIDMax bound the random incident ids: ten
// digits, so references look alike and reveal no count.
const incidentIDMin, incidentIDMax = 1_000_000_000, 10_000_000_000

// randomTenDigits is a random id of incidentIDMin to incidentIDMax: the
// id of an incident or an obligation, which URLs and forms show, so it
// must not count how many other tenants have.
func randomTenDigits() (int64, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return 0, err
	}
	return incidentIDMin + int64(binary.BigEndian.Uint64(b[:])%uint64(incidentIDMax-incidentIDMin)), nil
}

// Ref is how people name an incident: INC-<id>.
func (i *Incident) Ref() string { return "INC-" + strconv.FormatInt(i.ID, 10) }

// ParseIncidentRef reads "INC-12" or "12" into an id.
func ParseIncidentRef(s string) (int64, bool) {
	s = strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(s)), "INC-")
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n > 0
}

const incidentColumns = `i.id, i.org_id, o.slug, o.name, i.title, i.severity, COALESCE(i.owner_id, 0), COALESCE(ou.name, ou.email, ''),
	i.status, i.checklist, i.personal_data, i.people_affected, i.sealed, i.aware_at, COALESCE(i.aware_by, 0),
	COALESCE(au.name, au.email, ''), i.aware_source, i.aware_noted_at, i.corrective_at, i.version, i.created_at, i.updated_at,
	i.closed_at, COALESCE((SELECT time_zone FROM incident_settings WHERE org_id = i.org_id), 'UTC')`

const incidentFrom = ` FROM incidents i JOIN organisations o ON o.id = i.org_id LEFT JOIN users ou ON ou.id = i.owner_id
	LEFT JOIN users au ON au.id = i.aware_by `

// scanIncident reads a row of incidentColumns; the checklist stays as
// stored (sealed or JSON) in raw until openIncident.
func scanIncident(row interface{ Scan(...any) error }) (*Incident, string, error) {
	var i Incident
	var checklist, created, updated string
	var people sql.NullInt64
	var aware, noted, corrective, closed sql.NullString
	if err := row.Scan(&i.ID, &i.OrgID, &i.OrgSlug, &i.OrgName, &i.Title, &i.Severity, &i.OwnerID, &i.OwnerName,
		&i.Status, &checklist, &i.PersonalData, &people, &i.Sealed, &aware, &i.AwareByID, &i.AwareByName, &i.AwareSource,
		&noted, &corrective, &i.Version, &created, &updated, &closed, &i.TimeZone); err != nil {
		return nil, "", err
	}
	i.PeopleAffected, i.PeopleKnown = people.Int64, people.Valid
	i.AwareAt, i.AwareNotedAt, i.CorrectiveAt, i.ClosedAt = parseNullTime(aware), parseNullTime(noted), parseNullTime(corrective), parseNullTime(closed)
	i.CreatedAt, i.UpdatedAt = parseTime(created), parseTime(updated)
	return &i, checklist, nil
}

// openIncident fills the title and checklist of a sealed incident when the
// key is unlocked; otherwise they read SealedText and Locked is set.
func (db *DB) openIncident(i *Incident, checklist string) {
	if i.Sealed {
		ok := db.openTexts(&i.Title, &checklist)
		if !ok {
			i.Locked, i.Checklist = true, Checklist{}
			return
		}
	}
	if checklist != "" {
		// A checklist this code wrote always decodes; a damaged one reads
		// as empty rather than failing the page.
		_ = json.Unmarshal([]byte(checklist), &i.Checklist)
	}
}

// incidentIn reads one incident inside tx.
func (tx *Tx) incident(ctx context.Context, id int64) (*Incident, error) {
	i, checklist, err := scanIncident(tx.QueryRowContext(ctx, `SELECT `+incidentColumns+incidentFrom+` WHERE i.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, Errorf(ENOTFOUND, "Incident not found.")
	} else if err != nil {
		return nil, fmt.Errorf("db: read incident %d: %w", id, err)
	}
	tx.db.openIncident(i, checklist)
	return i, nil
}

// IncidentByID returns an incident with its organisation, owner and awareness.
func (db *DB) IncidentByID(ctx context.Context, id int64) (*Incident, error) {
	i, checklist, err := scanIncident(db.read.QueryRowContext(ctx, `SELECT `+incidentColumns+incidentFrom+` WHERE i.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, Errorf(ENOTFOUND, "Incident not found.")
	} else if err != nil {
		return nil, fmt.Errorf("db: read incident %d: %w", id, err)
	}
	db.openIncident(i, checklist)
	return i, nil
}

// NewIncident is what opening an incident takes. Reports are optional
// (an incident may be opened on its own); awareness too: the clocks start
// when it is recorded, never by assumption.
type NewIncident struct {
	OrgID    int64
	Title    string
	Severity string
	Reports  []int64
	// AwareAt, with AwareSource, records awareness at once (zero: later).
	AwareAt     time.Time
	AwareSource string
	Presets     []string
}

// validateTitle checks an incident's title and severity.
func validateIncidentHead(title, severity string, errs FieldErrors) {
	if n := utf8.RuneCountInString(strings.TrimSpace(title)); n == 0 || n > 200 {
		errs["title"] = "Give a title of 1 to 200 characters."
	}
	ok := false
	for _, s := range IncidentSeverities {
		ok = ok || s == severity
	}
	if !ok {
		errs["severity"] = "Choose low, medium, high or critical."
	}
}

// CreateIncident opens an incident in an organisation, links its reports
// (which go on legal hold at once), records awareness when given and adds
// the obligations of the presets named. It returns the new incident.
func (db *DB) CreateIncident(ctx context.Context, in *NewIncident, actor Actor) (*Incident, error) {
	in.Title, in.AwareSource = strings.TrimSpace(in.Title), strings.TrimSpace(in.AwareSource)
	errs := FieldErrors{}
	validateIncidentHead(in.Title, in.Severity, errs)
	if !in.AwareAt.IsZero() {
		validateAwareness(in.AwareAt, in.AwareSource, db.Now(), errs)
	}
	if len(errs) > 0 {
		return nil, Invalid(errs)
	}
	title, checklist, sealed := in.Title, "", false
	if db.sealOn {
		var err error
		if title, err = db.sealText(title); err != nil {
			return nil, err
		}
		sealed = true
	}
	return updateValue(ctx, db, func(ctx context.Context, tx *Tx) (*Incident, error) {
		// The id (and so the reference INC-<id>) is random, not the next of
		// a sequence every organisation shares: a tenant opening an incident
		// must not learn from its number how many incidents others had. seq,
		// never shown, keeps the order of creation.
		var id int64
		var err error
		for range 8 {
			if id, err = randomTenDigits(); err != nil {
				return nil, fmt.Errorf("db: incident id: %w", err)
			}
			err = tx.QueryRowContext(ctx, `INSERT INTO incidents (id, seq, org_id, title, severity, checklist, sealed, created_at, updated_at)
				VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM incidents), ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
				id, in.OrgID, title, in.Severity, checklist, sealed, formatTime(tx.now), formatTime(tx.now)).Scan(&id)
			if !isUnique(err) && !isPrimaryKey(err) {
				break
			}
		}
		if isForeignKey(err) {
			return nil, Errorf(ENOTFOUND, "Organisation not found.")
		} else if err != nil {
			return nil, fmt.Errorf("db: insert incident: %w", err)
		}
		ref := "INC-" + strconv.FormatInt(id, 10)
		if err := tx.incidentEvent(ctx, id, ref, actor, "open", "severity "+in.Severity); err != nil {
			return nil, err
		}
		for _, rid := range in.Reports {
			if err := tx.linkReport(ctx, id, in.OrgID, ref, rid, actor); err != nil {
				return nil, err
			}
		}
		if !in.AwareAt.IsZero() {
			if err := tx.recordAwareness(ctx, id, ref, in.AwareAt, in.AwareSource, actor); err != nil {
				return nil, err
			}
		}
		if err := tx.addObligations(ctx, id, in.OrgID, ref, in.Presets, actor); err != nil {
			return nil, err
		}
		if err := tx.recomputeDue(ctx, id); err != nil {
			return nil, err
		}
		return tx.incident(ctx, id)
	})
}

// incidentEvent writes one entry of the incident's timeline and the same
// to the audit log (action "incident."+kind, target the incident's ref).
func (tx *Tx) incidentEvent(ctx context.Context, incidentID int64, ref string, actor Actor, kind, detail string) error {
	var actorID any
	if actor.UserID != 0 {
		actorID = actor.UserID
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO incident_events (incident_id, at, actor_id, actor, kind, detail) VALUES (?, ?, ?, ?, ?, ?)`,
		incidentID, formatTime(tx.now), actorID, actor.Name, kind, detail); err != nil {
		return fmt.Errorf("db: incident event: %w", err)
	}
	return tx.audit(ctx, actor, "incident."+kind, ref, detail)
}

// lockIncident reads an incident for a staff write and refuses it when the
// form was made from an older version; it bumps the version.
func (tx *Tx) lockIncident(ctx context.Context, id, version int64) (*Incident, error) {
	i, err := tx.incident(ctx, id)
	if err != nil {
		return nil, err
	}
	if i.Version != version {
		return nil, Errorf(ECONFLICT, "Someone else changed this incident after you opened it, so your change was not saved. Reload the page to see their change, then try again.")
	}
	if _, err := tx.ExecContext(ctx, `UPDATE incidents SET version = version + 1, updated_at = ? WHERE id = ?`, formatTime(tx.now), id); err != nil {
		return nil, fmt.Errorf("db: update incident %d: %w", id, err)
	}
	return i, nil
}

// updateIncident is Update for a staff write to an incident, locked at
// version; the obligations' due times are recomputed after fn.
func (db *DB) updateIncident(ctx context.Context, id, version int64, fn func(ctx context.Context, tx *Tx, i *Incident) error) error {
	return db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		i, err := tx.lockIncident(ctx, id, version)
		if err != nil {
			return err
		}
		if err := fn(ctx, tx, i); err != nil {
			return err
		}
		return tx.recomputeDue(ctx, id)
	})
}

// IncidentEvent is one entry of an incident's timeline.
type IncidentEvent struct {
	At     time.Time
	Actor  string
	Kind   string
	Detail string
}

// IncidentTimeline lists an incident's events, oldest first.
func (db *DB) IncidentTimeline(ctx context.Context, incidentID int64) ([]IncidentEvent, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT at, actor, kind, detail FROM incident_events WHERE incident_id = ? ORDER BY id`, incidentID)
	if err != nil {
		return nil, fmt.Errorf("db: incident timeline: %w", err)
	}
	defer rows.Close()
	var out []IncidentEvent
	for rows.Next() {
		var e IncidentEvent
		var at string
		if err := rows.Scan(&at, &e.Actor, &e.Kind, &e.Detail); err != nil {
			return nil, fmt.Errorf("db: scan incident event: %w", err)
		}
		e.At = parseTime(at)
		out = append(out, e)
	}
	return out, rows.Err()
}
