package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"regexp"
	"strings"
	"time"
)

// DefaultOrgID is the default organisation: every database has it (the
// migration that brought organisations put existing programs into it), its
// programs are the ones the environment's mailbox feeds, and a host name
// that maps to no organisation serves it.
const DefaultOrgID int64 = 1

// Organisation is a tenant: it owns programs and staff memberships, and may
// have child organisations (an agency's clients, a reseller's customers),
// one level deep.
type Organisation struct {
	ID       int64
	Slug     string
	Name     string
	ParentID int64 // 0: a top-level organisation
	// ContactEmail and PreferredLanguages are its security.txt's Contact
	// (besides the report form) and Preferred-Languages; empty: the
	// portal's settings (default organisation) or none.
	ContactEmail       string
	PreferredLanguages string
	Hosts              []string // host names serving its public pages
	CreatedAt          time.Time
}

// NewOrg is what creating an organisation takes.
type NewOrg struct {
	Slug, Name         string
	ParentSlug         string // empty: a top-level organisation
	Hosts              []string
	ContactEmail       string
	PreferredLanguages string
}

var orgSlugRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,39}$`)

// langsRE is an RFC 9116 Preferred-Languages value: language tags separated
// by commas.
var langsRE = regexp.MustCompile(`^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*(, ?[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*)*$`)

// Validate returns messages per field ("slug", "name", "host", "contact",
// "languages") and normalises the host names.
func (in *NewOrg) Validate() FieldErrors {
	errs := FieldErrors{}
	in.Slug, in.Name = strings.TrimSpace(in.Slug), strings.TrimSpace(in.Name)
	if !orgSlugRE.MatchString(in.Slug) {
		errs["slug"] = "Use 1 to 40 lower-case letters, digits and dashes, starting with a letter or digit."
	}
	if n := len([]rune(in.Name)); n == 0 || n > 100 {
		errs["name"] = "Give a name of 1 to 100 characters."
	}
	for i, h := range in.Hosts {
		n, ok := NormalizeHost(h)
		if !ok {
			errs["host"] = fmt.Sprintf("%q is not a host name (like reports.client.example).", h)
			continue
		}
		in.Hosts[i] = n
	}
	if c := strings.TrimSpace(in.ContactEmail); c != "" {
		if a, err := mail.ParseAddress(c); err != nil || a.Address != c {
			errs["contact"] = "Enter an email address like security@client.example."
		}
	}
	if l := strings.TrimSpace(in.PreferredLanguages); l != "" && !langsRE.MatchString(l) {
		errs["languages"] = "List language tags separated by commas, like en, de."
	}
	return errs
}

// hostRE is a DNS name: labels of letters, digits and inner dashes.
var hostRE = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// NormalizeHost turns a host name or a Host header into the form org_hosts
// keeps: lower case, without port and trailing dot. It reports false for
// anything that is not a DNS name (IP literals included: they serve the
// default organisation).
func NormalizeHost(h string) (string, bool) {
	h = strings.ToLower(strings.TrimSpace(h))
	if host, _, err := net.SplitHostPort(h); err == nil {
		h = host
	}
	h = strings.TrimSuffix(h, ".")
	if h == "" || len(h) > 253 || !hostRE.MatchString(h) || net.ParseIP(h) != nil {
		return "", false
	}
	return h, true
}

const orgColumns = `o.id, o.slug, o.name, COALESCE(o.parent_id, 0), o.contact_email, o.preferred_languages, o.created_at`

func scanOrg(row interface{ Scan(...any) error }) (*Organisation, error) {
	var o Organisation
	var created string
	if err := row.Scan(&o.ID, &o.Slug, &o.Name, &o.ParentID, &o.ContactEmail, &o.PreferredLanguages, &created); err != nil {
		return nil, err
	}
	o.CreatedAt = parseTime(created)
	return &o, nil
}

// CreateOrg adds an organisation with its host names. A parent must be a
// top-level organisation: one level of nesting, the schema refuses more.
func (db *DB) CreateOrg(ctx context.Context, in *NewOrg, actor Actor) (*Organisation, error) {
	if errs := in.Validate(); len(errs) > 0 {
		return nil, Invalid(errs)
	}
	var out *Organisation
	err := db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		var parent any
		if in.ParentSlug != "" {
			var pid, grand int64
			err := tx.QueryRowContext(ctx, `SELECT id, COALESCE(parent_id, 0) FROM organisations WHERE slug = ?`, in.ParentSlug).Scan(&pid, &grand)
			if errors.Is(err, sql.ErrNoRows) {
				return Invalid(FieldErrors{"parent": "No organisation has this slug."})
			} else if err != nil {
				return fmt.Errorf("db: find parent organisation: %w", err)
			}
			if grand != 0 {
				return Invalid(FieldErrors{"parent": "A child organisation cannot have children: choose a top-level organisation."})
			}
			parent = pid
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO organisations (slug, name, parent_id, contact_email, preferred_languages, created_at)
			VALUES (?, ?, ?, ?, ?, ?)`, in.Slug, in.Name, parent, strings.TrimSpace(in.ContactEmail), strings.TrimSpace(in.PreferredLanguages), formatTime(tx.now))
		if isUnique(err) {
			return Invalid(FieldErrors{"slug": "Another organisation uses this slug."})
		} else if isTrigger(err) {
			return Invalid(FieldErrors{"parent": "A child organisation cannot have children: choose a top-level organisation."})
		} else if err != nil {
			return fmt.Errorf("db: insert organisation: %w", err)
		}
		id, err := res.LastInsertId()
		if err != nil {
			return fmt.Errorf("db: insert organisation: %w", err)
		}
		for _, h := range in.Hosts {
			if err := tx.addOrgHost(ctx, id, h); err != nil {
				return err
			}
		}
		if err := tx.audit(ctx, actor, "org.create", in.Slug, fmt.Sprintf("parent=%s hosts=%s", in.ParentSlug, strings.Join(in.Hosts, ","))); err != nil {
			return err
		}
		out, err = orgWhere(ctx, tx, `o.id = ?`, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (tx *Tx) addOrgHost(ctx context.Context, orgID int64, host string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO org_hosts (host, org_id) VALUES (?, ?)`, host, orgID)
	if isPrimaryKey(err) {
		return Invalid(FieldErrors{"host": fmt.Sprintf("The host %s serves an organisation already.", host)})
	} else if err != nil {
		return fmt.Errorf("db: add host: %w", err)
	}
	return nil
}

// AddOrgHost maps a host name to an organisation's public pages.
func (db *DB) AddOrgHost(ctx context.Context, orgID int64, host string, actor Actor) error {
	h, ok := NormalizeHost(host)
	if !ok {
		return Invalid(FieldErrors{"host": "Enter a host name like reports.client.example."})
	}
	return db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		if err := tx.addOrgHost(ctx, orgID, h); err != nil {
			return err
		}
		return tx.audit(ctx, actor, "org.host.add", fmt.Sprint(orgID), h)
	})
}

// RemoveOrgHost ends a host name's mapping; the host then serves the
// default organisation.
func (db *DB) RemoveOrgHost(ctx context.Context, orgID int64, host string, actor Actor) error {
	h, _ := NormalizeHost(host)
	return db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM org_hosts WHERE host = ? AND org_id = ?`, h, orgID)
		if err != nil {
			return fmt.Errorf("db: remove host: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return Errorf(ENOTFOUND, "This organisation has no such host.")
		}
		return tx.audit(ctx, actor, "org.host.remove", fmt.Sprint(orgID), h)
	})
}

// UpdateOrg changes an organisation's name and security.txt fields (slug,
// parent and hosts stay).
func (db *DB) UpdateOrg(ctx context.Context, orgID int64, name, contact, languages string, actor Actor) error {
	in := NewOrg{Slug: "x", Name: name, ContactEmail: contact, PreferredLanguages: languages}
	if errs := in.Validate(); len(errs) > 0 {
		return Invalid(errs)
	}
	return db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE organisations SET name = ?, contact_email = ?, preferred_languages = ? WHERE id = ?`,
			in.Name, strings.TrimSpace(contact), strings.TrimSpace(languages), orgID)
		if err != nil {
			return fmt.Errorf("db: update organisation: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return Errorf(ENOTFOUND, "Organisation not found.")
		}
		return tx.audit(ctx, actor, "org.edit", fmt.Sprint(orgID), "name, contact, languages")
	})
}

// Orgs lists every organisation with its hosts: each top-level one followed
// by its children, by name.
func (db *DB) Orgs(ctx context.Context) ([]*Organisation, error) {
	tx, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT `+orgColumns+` FROM organisations o
		LEFT JOIN organisations p ON p.id = o.parent_id
		ORDER BY COALESCE(p.name, o.name), COALESCE(o.parent_id, o.id), o.parent_id IS NOT NULL, o.name`)
	if err != nil {
		return nil, fmt.Errorf("db: list organisations: %w", err)
	}
	defer rows.Close()
	var out []*Organisation
	byID := map[int64]*Organisation{}
	for rows.Next() {
		o, err := scanOrg(rows)
		if err != nil {
			return nil, fmt.Errorf("db: scan organisation: %w", err)
		}
		out = append(out, o)
		byID[o.ID] = o
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	hrows, err := tx.QueryContext(ctx, `SELECT host, org_id FROM org_hosts ORDER BY host`)
	if err != nil {
		return nil, fmt.Errorf("db: list hosts: %w", err)
	}
	defer hrows.Close()
	for hrows.Next() {
		var h string
		var id int64
		if err := hrows.Scan(&h, &id); err != nil {
			return nil, fmt.Errorf("db: scan host: %w", err)
		}
		if o := byID[id]; o != nil {
			o.Hosts = append(o.Hosts, h)
		}
	}
	return out, hrows.Err()
}

// OrgBySlug finds an organisation with its hosts.
func (db *DB) OrgBySlug(ctx context.Context, slug string) (*Organisation, error) {
	return db.orgWhere(ctx, `o.slug = ?`, slug)
}

// OrgByID finds an organisation with its hosts.
func (db *DB) OrgByID(ctx context.Context, id int64) (*Organisation, error) {
	return db.orgWhere(ctx, `o.id = ?`, id)
}

// OrgForHost is the organisation whose public pages a Host header asks for:
// the one the host maps to, else the default organisation. Only a mapped
// host selects an organisation, so a spoofed Host header reaches nothing an
// unmapped one would not (the public pages of some organisation).
func (db *DB) OrgForHost(ctx context.Context, host string) (*Organisation, error) {
	if h, ok := NormalizeHost(host); ok {
		o, err := db.orgWhere(ctx, `o.id = (SELECT org_id FROM org_hosts WHERE host = ?)`, h)
		if ErrorCode(err) != ENOTFOUND {
			return o, err
		}
	}
	return db.OrgByID(ctx, DefaultOrgID)
}

func (db *DB) orgWhere(ctx context.Context, where string, args ...any) (*Organisation, error) {
	tx, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	return orgWhere(ctx, tx, where, args...)
}

func orgWhere(ctx context.Context, tx interface {
	querier
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, where string, args ...any) (*Organisation, error) {
	o, err := scanOrg(tx.QueryRowContext(ctx, `SELECT `+orgColumns+` FROM organisations o WHERE `+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, Errorf(ENOTFOUND, "Organisation not found.")
	} else if err != nil {
		return nil, fmt.Errorf("db: find organisation: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT host FROM org_hosts WHERE org_id = ? ORDER BY host`, o.ID)
	if err != nil {
		return nil, fmt.Errorf("db: list hosts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return nil, fmt.Errorf("db: scan host: %w", err)
		}
		o.Hosts = append(o.Hosts, h)
	}
	return o, rows.Err()
}

// OrgPrograms lists the active programs of one organisation, its default
// program first: the programs its public pages offer.
func (db *DB) OrgPrograms(ctx context.Context, orgID int64) ([]*Program, error) {
	all, err := db.Programs(ctx)
	if err != nil {
		return nil, err
	}
	var out []*Program
	for _, p := range all {
		if p.OrgID == orgID {
			out = append(out, p)
		}
	}
	return out, nil
}

// ProgramOrg is the organisation of a program, in a write transaction
// (mail intake decides where a report goes inside it).
func (tx *Tx) ProgramOrg(ctx context.Context, programID int64) (int64, error) {
	var org int64
	err := tx.QueryRowContext(ctx, `SELECT org_id FROM programs WHERE id = ?`, programID).Scan(&org)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, Errorf(ENOTFOUND, "Program not found.")
	} else if err != nil {
		return 0, fmt.Errorf("db: organisation of program %d: %w", programID, err)
	}
	return org, nil
}

// MoveResult is what moving a program did besides the move.
type MoveResult struct {
	From, To *Organisation
	// DirectMembers are users given the program one by one (program
	// members, not organisation members): they keep it where it goes.
	DirectMembers int
	// PausedWebhooks are its webhooks the move turned off: they post to
	// the old organisation's endpoints.
	PausedWebhooks int
	// Mailboxes are the intake mailboxes that feed the program alone and
	// moved with it, with their stored credentials (MovedMailbox).
	Mailboxes []*MovedMailbox
}

// MoveProgram gives a program (with its reports, webhooks and retention
// rule, which belong to it) to another organisation: the site admin's. Its
// reference prefix, unique across the portal, and every reference stay.
// The old organisation's people no longer reach it, the new one's do. The
// default program stays in the default organisation (the environment's
// mailbox feeds it). The intake mailboxes that feed the program go with it
// (moveMailboxes), unless one shares its mail account with a mailbox that
// feeds another program: then nothing moves, and the error names it.
func (db *DB) MoveProgram(ctx context.Context, programID int64, toSlug string, actor Actor) (*MoveResult, error) {
	var out *MoveResult
	err := db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		var fromID int64
		var slug string
		var isDefault bool
		err := tx.QueryRowContext(ctx, `SELECT org_id, slug, is_default FROM programs WHERE id = ?`, programID).Scan(&fromID, &slug, &isDefault)
		if errors.Is(err, sql.ErrNoRows) {
			return Errorf(ENOTFOUND, "Program not found.")
		} else if err != nil {
			return fmt.Errorf("db: find program: %w", err)
		}
		to, err := orgWhere(ctx, tx, `o.slug = ?`, strings.TrimSpace(toSlug))
		if ErrorCode(err) == ENOTFOUND {
			return Invalid(FieldErrors{"to": "No organisation has this slug."})
		} else if err != nil {
			return err
		}
		if to.ID == fromID {
			return Invalid(FieldErrors{"to": "The program belongs to this organisation already."})
		}
		if isDefault {
			return Invalid(FieldErrors{"to": "The default program stays in the default organisation: the environment's mailbox feeds it."})
		}
		boxes, err := tx.movableMailboxes(ctx, programID)
		if err != nil {
			return err
		}
		// Incidents and advisories belong to the old organisation: one that
		// links a report of this program would keep listing, exporting
		// (evidence bundles carry the whole report) and publishing it after
		// the move. The program moves once no such link is left.
		var linked int
		if err := tx.QueryRowContext(ctx, `SELECT
			(SELECT COUNT(*) FROM incident_reports ir JOIN reports r ON r.id = ir.report_id WHERE r.program_id = ?) +
			(SELECT COUNT(*) FROM advisory_reports ar JOIN reports r ON r.id = ar.report_id WHERE r.program_id = ?)`, programID, programID).Scan(&linked); err != nil {
			return fmt.Errorf("db: count incident and advisory links: %w", err)
		} else if linked > 0 {
			return Invalid(FieldErrors{"to": "Incidents or advisories of its organisation link reports of this program (" + count(linked, "link", "links") +
				"): they would keep reading them after the move. Unlink them first."})
		}
		from, err := orgWhere(ctx, tx, `o.id = ?`, fromID)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE programs SET org_id = ? WHERE id = ?`, to.ID, programID); err != nil {
			return fmt.Errorf("db: move program: %w", err)
		}
		res := &MoveResult{From: from, To: to}
		if res.Mailboxes, err = tx.moveMailboxes(ctx, boxes, from, to, slug, actor); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM program_members WHERE program_id = ?`, programID).Scan(&res.DirectMembers); err != nil {
			return fmt.Errorf("db: count program members: %w", err)
		}
		// Its webhooks post to the old organisation's endpoints: they stop
		// until the new organisation's admins look at them.
		hooks, err := tx.ExecContext(ctx, `UPDATE webhooks SET enabled = 0 WHERE program_id = ? AND enabled = 1`, programID)
		if err != nil {
			return fmt.Errorf("db: pause webhooks: %w", err)
		}
		n, _ := hooks.RowsAffected()
		res.PausedWebhooks = int(n)
		// Incident clocks were the old organisation's admins' choice about
		// its incidents: the new one's admins choose again.
		if _, err := tx.ExecContext(ctx, `UPDATE webhooks SET incident_clocks = 0 WHERE program_id = ? AND incident_clocks = 1`, programID); err != nil {
			return fmt.Errorf("db: reset webhook incident clocks: %w", err)
		}
		if err := tx.dropPendingClocks(ctx, `webhook_id IN (SELECT id FROM webhooks WHERE program_id = ?)`, programID); err != nil {
			return err
		}
		if err := tx.audit(ctx, actor, "program.move", slug, fmt.Sprintf("from=%s to=%s direct_members=%d paused_webhooks=%d mailboxes=%d", from.Slug, to.Slug, res.DirectMembers, res.PausedWebhooks, len(res.Mailboxes))); err != nil {
			return err
		}
		out = res
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
