package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// RetentionRule says how long a program keeps finished reports. A report is
// finished when it is closed (any closed outcome) or disclosed; its age is
// counted from closed_at, or for disclosed reports from their last update.
// 0 days means keep forever; a program without a rule keeps everything.
type RetentionRule struct {
	ProgramID   int64
	ProgramSlug string
	// AttachmentsDays deletes the attachments of finished reports, with
	// the raw mail they came in.
	AttachmentsDays int
	// AnonymiseDays anonymises finished reports: statistics stay, reporter
	// identity, text, timeline bodies and attachments go.
	AnonymiseDays int
	// SpamDeleteDays deletes reports closed as spam, with everything in them.
	SpamDeleteDays int
}

// maxRetentionDays bounds a rule at a hundred years, so a typo in days fails
// clearly instead of overflowing a date.
const maxRetentionDays = 36500

// Validate checks the day counts.
func (r *RetentionRule) Validate() error {
	for name, v := range map[string]int{"attachments": r.AttachmentsDays, "anonymise": r.AnonymiseDays, "spam": r.SpamDeleteDays} {
		if v < 0 || v > maxRetentionDays {
			return Errorf(EINVALID, "Retention for %s must be 0 (keep forever) to %d days.", name, maxRetentionDays)
		}
	}
	return nil
}

// String is the rule as the audit log and the CLI print it.
func (r *RetentionRule) String() string {
	return fmt.Sprintf("attachments=%s anonymise=%s spam=%s", days(r.AttachmentsDays), days(r.AnonymiseDays), days(r.SpamDeleteDays))
}

func days(n int) string {
	if n == 0 {
		return "keep"
	}
	return fmt.Sprintf("%dd", n)
}

// RetentionRules returns one rule per active program; programs without a rule
// get zeros (keep everything).
func (db *DB) RetentionRules(ctx context.Context) ([]*RetentionRule, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT p.id, p.slug, COALESCE(rr.attachments_days, 0), COALESCE(rr.anonymise_days, 0),
		COALESCE(rr.spam_delete_days, 0) FROM programs p LEFT JOIN retention_rules rr ON rr.program_id = p.id
		WHERE p.archived = 0 ORDER BY p.is_default DESC, p.slug`)
	if err != nil {
		return nil, fmt.Errorf("db: list retention rules: %w", err)
	}
	defer rows.Close()
	var out []*RetentionRule
	for rows.Next() {
		r := &RetentionRule{}
		if err := rows.Scan(&r.ProgramID, &r.ProgramSlug, &r.AttachmentsDays, &r.AnonymiseDays, &r.SpamDeleteDays); err != nil {
			return nil, fmt.Errorf("db: scan retention rule: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// SetRetentionRule stores the rule of rule.ProgramID and audits the change.
func (db *DB) SetRetentionRule(ctx context.Context, rule *RetentionRule, actor Actor) error {
	if err := rule.Validate(); err != nil {
		return err
	}
	return db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		var err error
		var slug string
		err = tx.QueryRowContext(ctx, `SELECT slug FROM programs WHERE id = ?`, rule.ProgramID).Scan(&slug)
		if errors.Is(err, sql.ErrNoRows) {
			return Errorf(ENOTFOUND, "Program not found.")
		} else if err != nil {
			return fmt.Errorf("db: find program: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO retention_rules (program_id, attachments_days, anonymise_days, spam_delete_days, updated_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (program_id) DO UPDATE SET attachments_days = excluded.attachments_days,
			anonymise_days = excluded.anonymise_days, spam_delete_days = excluded.spam_delete_days, updated_at = excluded.updated_at`,
			rule.ProgramID, rule.AttachmentsDays, rule.AnonymiseDays, rule.SpamDeleteDays, formatTime(tx.now)); err != nil {
			return fmt.Errorf("db: store retention rule: %w", err)
		}
		return tx.audit(ctx, actor, "retention.rule", slug, rule.String())
	})
}

// SetLegalHold puts a report on legal hold (no disposal of any kind while it
// lasts) or releases it. The reason goes to the audit log.
func (db *DB) SetLegalHold(ctx context.Context, reportID int64, on bool, actor Actor, reason string) error {
	return db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		if !on {
			if err := tx.refuseReleaseLinked(ctx, reportID); err != nil {
				return err
			}
		}
		var err error
		var ref string
		err = tx.QueryRowContext(ctx, `UPDATE reports SET legal_hold = ? WHERE id = ?
			RETURNING (SELECT prefix FROM programs WHERE id = program_id) || '-' || number`, on, reportID).Scan(&ref)
		if errors.Is(err, sql.ErrNoRows) {
			return Errorf(ENOTFOUND, "Report not found.")
		} else if err != nil {
			return fmt.Errorf("db: set legal hold: %w", err)
		}
		action := "report.legal_hold"
		if !on {
			action = "report.legal_hold_release"
		}
		return tx.audit(ctx, actor, action, ref, reason)
	})
}

// LegalHold reports whether a report is on legal hold.
func (db *DB) LegalHold(ctx context.Context, reportID int64) (bool, error) {
	var on bool
	err := db.read.QueryRowContext(ctx, `SELECT legal_hold FROM reports WHERE id = ?`, reportID).Scan(&on)
	if errors.Is(err, sql.ErrNoRows) {
		return false, Errorf(ENOTFOUND, "Report not found.")
	} else if err != nil {
		return false, fmt.Errorf("db: read legal hold: %w", err)
	}
	return on, nil
}

// DisposalAction is what retention does to one report.
type DisposalAction string

// Disposal actions, strongest first: a report due for several gets only the
// strongest.
const (
	DisposeDelete      DisposalAction = "delete"
	DisposeAnonymise   DisposalAction = "anonymise"
	DisposeAttachments DisposalAction = "delete_attachments"
)

// Disposal is one report a rule makes due.
type Disposal struct {
	ReportID   int64
	Ref        string
	Action     DisposalAction
	FinishedAt time.Time // when the report was closed or disclosed
	Days       int       // the rule that applies

	programID int64
	cutoff    string
}

// finishedStates are the states retention may dispose of.
var finishedStates = func() string {
	q := []string{"'" + string(StateDisclosed) + "'"}
	for _, s := range closedStates {
		q = append(q, "'"+string(s)+"'")
	}
	return "(" + strings.Join(q, ", ") + ")"
}()

const finishedAt = `(CASE WHEN r.state = 'disclosed' THEN r.updated_at ELSE r.closed_at END)`

// disposalCond is the condition under which action is due; one "?" takes the
// cutoff time. It is checked again inside the disposing transaction, so a
// hold or a reopen that lands between listing and disposing wins.
func disposalCond(action DisposalAction) string {
	switch action {
	case DisposeDelete:
		return `r.state = 'spam' AND r.closed_at < ?`
	case DisposeAnonymise:
		return `r.state IN ` + finishedStates + ` AND r.anonymised_at IS NULL AND ` + finishedAt + ` < ?`
	default:
		// Raw mail holds the attachments it came with, so it goes too.
		return `r.state IN ` + finishedStates + ` AND ` + finishedAt + ` < ? AND (EXISTS (SELECT 1 FROM attachments a
			JOIN messages m ON m.id = a.message_id WHERE m.report_id = r.id) OR EXISTS (SELECT 1 FROM mail_raw WHERE report_id = r.id))`
	}
}

// RetentionDue lists the disposals the rules make due at db.Now; reports on
// legal hold are never listed.
func (db *DB) RetentionDue(ctx context.Context) ([]Disposal, error) {
	rules, err := db.RetentionRules(ctx)
	if err != nil {
		return nil, err
	}
	now := db.Now().UTC()
	var out []Disposal
	for _, rule := range rules {
		seen := map[int64]bool{}
		for _, step := range []struct {
			action DisposalAction
			days   int
		}{{DisposeDelete, rule.SpamDeleteDays}, {DisposeAnonymise, rule.AnonymiseDays}, {DisposeAttachments, rule.AttachmentsDays}} {
			if step.days == 0 {
				continue
			}
			cutoff := formatTime(now.AddDate(0, 0, -step.days))
			ds, err := db.dueFor(ctx, rule.ProgramID, step.action, cutoff)
			if err != nil {
				return nil, err
			}
			for _, d := range ds {
				if !seen[d.ReportID] {
					seen[d.ReportID] = true
					d.Days = step.days
					out = append(out, d)
				}
			}
		}
	}
	return out, nil
}

func (db *DB) dueFor(ctx context.Context, programID int64, action DisposalAction, cutoff string) ([]Disposal, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT r.id, p.prefix || '-' || r.number, `+finishedAt+`
		FROM reports r JOIN programs p ON p.id = r.program_id
		WHERE r.program_id = ? AND r.legal_hold = 0`+incidentHold+` AND `+disposalCond(action)+` ORDER BY r.id`, programID, cutoff)
	if err != nil {
		return nil, fmt.Errorf("db: list due %s: %w", action, err)
	}
	defer rows.Close()
	var out []Disposal
	for rows.Next() {
		d := Disposal{Action: action, programID: programID, cutoff: cutoff}
		var finished string
		if err := rows.Scan(&d.ReportID, &d.Ref, &finished); err != nil {
			return nil, fmt.Errorf("db: scan due %s: %w", action, err)
		}
		d.FinishedAt = parseTime(finished)
		out = append(out, d)
	}
	return out, rows.Err()
}

// HeldReport is a report on legal hold, as the retention page lists it.
type HeldReport struct {
	ID    int64
	Ref   string
	Title string
	State State
}

// LegalHolds lists the reports on legal hold.
func (db *DB) LegalHolds(ctx context.Context) ([]HeldReport, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT r.id, p.prefix || '-' || r.number, r.title, r.state, r.sealed
		FROM reports r JOIN programs p ON p.id = r.program_id WHERE r.legal_hold = 1 ORDER BY r.id`)
	if err != nil {
		return nil, fmt.Errorf("db: list legal holds: %w", err)
	}
	defer rows.Close()
	var out []HeldReport
	for rows.Next() {
		var h HeldReport
		var sealed bool
		if err := rows.Scan(&h.ID, &h.Ref, &h.Title, &h.State, &sealed); err != nil {
			return nil, fmt.Errorf("db: scan legal hold: %w", err)
		}
		if sealed {
			h.Title, _ = db.openText(h.Title)
		}
		out = append(out, h)
	}
	return out, rows.Err()
}
