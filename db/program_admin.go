package db

import (
	"context"
	"fmt"
	"net/mail"
	"regexp"
	"strings"
)

var slugRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,39}$`)

// Validate checks a program an admin typed, returning messages per field
// ("name", "slug", "prefix", "email", "policy", "scope", "<days column>").
func (p *Program) Validate() FieldErrors {
	errs := FieldErrors{}
	p.Name, p.Slug, p.Prefix, p.Email = strings.TrimSpace(p.Name), strings.TrimSpace(p.Slug), strings.ToUpper(strings.TrimSpace(p.Prefix)), strings.TrimSpace(p.Email)
	if p.Name == "" || len([]rune(p.Name)) > 100 {
		errs["name"] = "Enter a name of up to 100 characters."
	}
	if !slugRE.MatchString(p.Slug) {
		errs["slug"] = "Use 1 to 40 lower-case letters, digits and dashes, like acme-web."
	}
	if !ValidPrefix(p.Prefix) {
		errs["prefix"] = "Use 2 to 12 capital letters or digits, starting with a letter, like ACME."
	} else if reservedPrefixes[p.Prefix] {
		errs["prefix"] = p.Prefix + " names the portal's own records (INC-… are incidents): choose another prefix."
	}
	if p.Email != "" {
		if a, err := mail.ParseAddress(p.Email); err != nil || a.Address != p.Email {
			errs["email"] = "Enter an address like security@example.org, or leave it empty."
		}
	}
	if len(p.Policy) > 200_000 {
		errs["policy"] = "The policy is too long (200,000 characters at most)."
	}
	if len(p.Scope) > 20_000 {
		errs["scope"] = "The scope list is too long (20,000 characters at most)."
	}
	for _, d := range p.DeadlineFields() {
		if *d.Days < 1 || *d.Days > 3650 {
			errs[d.Name] = "Enter a number of days from 1 to 3650."
		}
	}
	return errs
}

// DeadlineField is one deadline target of a program, for forms.
type DeadlineField struct {
	Name  string
	Label string
	Days  *int
}

// DeadlineFields lists the deadline targets in the order forms show them.
func (p *Program) DeadlineFields() []DeadlineField {
	return []DeadlineField{
		{"first_response_days", "First response", &p.FirstResponseDays},
		{"triage_days", "Triage", &p.TriageDays},
		{"resolve_critical_days", "Resolution, critical", &p.ResolveCriticalDays},
		{"resolve_high_days", "Resolution, high", &p.ResolveHighDays},
		{"resolve_medium_days", "Resolution, medium", &p.ResolveMediumDays},
		{"resolve_low_days", "Resolution, low", &p.ResolveLowDays},
		{"disclosure_days", "Disclosure", &p.DisclosureDays},
	}
}

// NewProgramDefaults is a program form's starting point: the deadline
// targets of the issue (3 / 10 days; 7 / 30 / 90 / 180; 90).
func NewProgramDefaults() *Program {
	return &Program{FirstResponseDays: 3, TriageDays: 10, ResolveCriticalDays: 7, ResolveHighDays: 30,
		ResolveMediumDays: 90, ResolveLowDays: 180, DisclosureDays: 90}
}

// SaveProgram creates (p.ID == 0) or updates a program and sets its members.
func (db *DB) SaveProgram(ctx context.Context, p *Program, memberIDs []int64, actor Actor) (*Program, error) {
	if errs := p.Validate(); len(errs) > 0 {
		return nil, Invalid(errs)
	}
	var out *Program
	err := db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM programs WHERE slug = ? AND id <> ?`, p.Slug, p.ID).Scan(&n); err != nil {
			return fmt.Errorf("db: check slug: %w", err)
		} else if n > 0 {
			return Invalid(FieldErrors{"slug": "Another program uses this URL name."})
		}
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM programs WHERE prefix = ? AND id <> ?`, p.Prefix, p.ID).Scan(&n); err != nil {
			return fmt.Errorf("db: check prefix: %w", err)
		} else if n > 0 {
			return Invalid(FieldErrors{"prefix": "Another program uses this prefix."})
		}
		now := formatTime(tx.now)
		action := "program.edit"
		if p.ID == 0 {
			action = "program.create"
			if p.OrgID == 0 {
				p.OrgID = DefaultOrgID
			}
			res, err := tx.ExecContext(ctx, `INSERT INTO programs (slug, name, prefix, policy, scope, email,
				first_response_days, triage_days, resolve_critical_days, resolve_high_days, resolve_medium_days, resolve_low_days, disclosure_days,
				created_at, updated_at, org_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				p.Slug, p.Name, p.Prefix, p.Policy, p.Scope, p.Email, p.FirstResponseDays, p.TriageDays, p.ResolveCriticalDays,
				p.ResolveHighDays, p.ResolveMediumDays, p.ResolveLowDays, p.DisclosureDays, now, now, p.OrgID)
			if isForeignKey(err) {
				return Invalid(FieldErrors{"org": "Choose an organisation from the list."})
			}
			if err != nil {
				return fmt.Errorf("db: insert program: %w", err)
			}
			if p.ID, err = res.LastInsertId(); err != nil {
				return fmt.Errorf("db: insert program: %w", err)
			}
		} else {
			var oldPrefix string
			var reports int
			if err := tx.QueryRowContext(ctx, `SELECT prefix, org_id, (SELECT COUNT(*) FROM reports WHERE program_id = programs.id) FROM programs WHERE id = ?`, p.ID).Scan(&oldPrefix, &p.OrgID, &reports); err != nil {
				return Errorf(ENOTFOUND, "Program not found.")
			}
			if oldPrefix != p.Prefix && reports > 0 {
				// References already sent to reporters must keep meaning the same report.
				return Invalid(FieldErrors{"prefix": "The prefix cannot change once the program has reports: their references were sent to reporters."})
			}
			if _, err := tx.ExecContext(ctx, `UPDATE programs SET slug = ?, name = ?, prefix = ?, policy = ?, scope = ?, email = ?,
				first_response_days = ?, triage_days = ?, resolve_critical_days = ?, resolve_high_days = ?, resolve_medium_days = ?,
				resolve_low_days = ?, disclosure_days = ?, updated_at = ? WHERE id = ?`,
				p.Slug, p.Name, p.Prefix, p.Policy, p.Scope, p.Email, p.FirstResponseDays, p.TriageDays, p.ResolveCriticalDays,
				p.ResolveHighDays, p.ResolveMediumDays, p.ResolveLowDays, p.DisclosureDays, now, p.ID); err != nil {
				return fmt.Errorf("db: update program: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM program_members WHERE program_id = ?`, p.ID); err != nil {
			return fmt.Errorf("db: clear members: %w", err)
		}
		for _, uid := range memberIDs {
			if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO program_members (program_id, user_id) SELECT ?, id FROM users WHERE id = ?`, p.ID, uid); err != nil {
				return fmt.Errorf("db: add member: %w", err)
			}
		}
		if err := tx.audit(ctx, actor, action, p.Slug, fmt.Sprintf("prefix=%s org=%d members=%v", p.Prefix, p.OrgID, memberIDs)); err != nil {
			return err
		}
		out = p
		return nil
	})
	db.programsChanged()
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ProgramMembers lists the user ids that are members of a program.
func (db *DB) ProgramMembers(ctx context.Context, programID int64) ([]int64, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT user_id FROM program_members WHERE program_id = ? ORDER BY user_id`, programID)
	if err != nil {
		return nil, fmt.Errorf("db: list members: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("db: scan member: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
