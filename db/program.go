package db

import (
	"context"
	"database/sql"
	_ "embed"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

//go:embed default_policy.md
var defaultPolicy string

// Program is what a report is filed against: its scope, policy, reference
// prefix and deadline targets.
type Program struct {
	ID        int64
	Slug      string
	Name      string
	Prefix    string
	Policy    string // markdown, rendered safely by the views
	Scope     string // one asset per line
	Email     string // the address mail for this program is sent to
	IsDefault bool
	// OrgID is the organisation that owns the program (1: the default one).
	OrgID int64

	FirstResponseDays   int
	TriageDays          int
	ResolveCriticalDays int
	ResolveHighDays     int
	ResolveMediumDays   int
	ResolveLowDays      int
	DisclosureDays      int
}

// Assets returns the scope list, one entry per non-empty line.
func (p *Program) Assets() []string {
	var out []string
	for _, line := range strings.Split(p.Scope, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	return out
}

var prefixRE = regexp.MustCompile(`^[A-Z][A-Z0-9]{1,11}$`)

// reservedPrefixes are the prefixes of the portal's own references, which
// no program may take: INC-<id> names an incident, and a program with that
// prefix would make its report references read as incidents (in subjects,
// the audit log, links).
var reservedPrefixes = map[string]bool{"INC": true}

// ValidPrefix reports whether s can be a reference prefix (ACME in ACME-12).
func ValidPrefix(s string) bool { return prefixRE.MatchString(s) }

const programColumns = `id, slug, name, prefix, policy, scope, email, is_default,
	first_response_days, triage_days, resolve_critical_days, resolve_high_days,
	resolve_medium_days, resolve_low_days, disclosure_days, org_id`

func scanProgram(row interface{ Scan(...any) error }) (*Program, error) {
	var p Program
	err := row.Scan(&p.ID, &p.Slug, &p.Name, &p.Prefix, &p.Policy, &p.Scope, &p.Email, &p.IsDefault,
		&p.FirstResponseDays, &p.TriageDays, &p.ResolveCriticalDays, &p.ResolveHighDays,
		&p.ResolveMediumDays, &p.ResolveLowDays, &p.DisclosureDays, &p.OrgID)
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// Programs lists the active programs, the default one first. Every public
// page and every submission needs the list, so it is kept in memory for up
// to programsTTL and dropped at once when this process saves a program
// (SaveProgram, the first start, demo data bump programsGen); the TTL bounds
// how long a change made by another process goes unseen. Callers get their
// own copies.
func (db *DB) Programs(ctx context.Context) ([]*Program, error) {
	gen := db.programsGen.Load()
	if c := db.programsCache.Load(); c != nil && c.gen == gen && db.Now().Sub(c.at) < programsTTL {
		return copyPrograms(c.list), nil
	}
	list, err := db.loadPrograms(ctx)
	if err != nil {
		return nil, err
	}
	db.programsCache.Store(&programsCache{list: list, gen: gen, at: db.Now()})
	return copyPrograms(list), nil
}

// programsTTL bounds how long a program saved by another process (a CLI
// command beside `disclose serve`) is seen as it was.
const programsTTL = 5 * time.Second

type programsCache struct {
	list []*Program
	gen  uint64
	at   time.Time
}

// programsChanged drops the cached program list; call it after a commit
// that wrote to programs (other than next_number).
func (db *DB) programsChanged() { db.programsGen.Add(1) }

func copyPrograms(list []*Program) []*Program {
	out := make([]*Program, len(list))
	for i, p := range list {
		c := *p
		out[i] = &c
	}
	return out
}

func (db *DB) loadPrograms(ctx context.Context) ([]*Program, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+programColumns+` FROM programs WHERE archived = 0 ORDER BY is_default DESC, name`)
	if err != nil {
		return nil, fmt.Errorf("db: list programs: %w", err)
	}
	defer rows.Close()
	var out []*Program
	for rows.Next() {
		p, err := scanProgram(rows)
		if err != nil {
			return nil, fmt.Errorf("db: scan program: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// DefaultProgram returns the program reports go to when none is named.
func (db *DB) DefaultProgram(ctx context.Context) (*Program, error) {
	return db.programWhere(ctx, `is_default = 1`)
}

// ProgramBySlug finds an active program by its URL name.
func (db *DB) ProgramBySlug(ctx context.Context, slug string) (*Program, error) {
	return db.programWhere(ctx, `slug = ? AND archived = 0`, slug)
}

// ProgramByID finds a program by id.
func (db *DB) ProgramByID(ctx context.Context, id int64) (*Program, error) {
	return db.programWhere(ctx, `id = ?`, id)
}

func (db *DB) programWhere(ctx context.Context, where string, args ...any) (*Program, error) {
	p, err := scanProgram(db.read.QueryRowContext(ctx, `SELECT `+programColumns+` FROM programs WHERE `+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, Errorf(ENOTFOUND, "Program not found.")
	} else if err != nil {
		return nil, fmt.Errorf("db: find program: %w", err)
	}
	return p, nil
}

// ensureDefaultProgram creates the default program on first start, so that a
// fresh portal accepts reports at once; the operator edits it later.
func (db *DB) ensureDefaultProgram(ctx context.Context) error {
	defer db.programsChanged()
	return db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM programs`).Scan(&n); err != nil {
			return fmt.Errorf("db: count programs: %w", err)
		}
		if n > 0 {
			return nil
		}
		now := formatTime(tx.now)
		if _, err := tx.ExecContext(ctx, `INSERT INTO programs (slug, name, prefix, policy, scope, is_default, created_at, updated_at)
			VALUES ('default', 'Security', 'SEC', ?, ?, 1, ?, ?)`,
			defaultPolicy, "", now, now); err != nil {
			return fmt.Errorf("db: create default program: %w", err)
		}
		return tx.audit(ctx, Actor{Name: "system"}, "program.create", "default", "first start")
	})
}
