package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// CreateAdvisory drafts an advisory of an organisation from reports of its
// programs (at least one). Each report's reporter is proposed a credit as
// their form's preference says: named (type finder) or declined
// (anonymous); the reporter can change it on the status page until
// publication. A sealed reporter's name needs the team key unlocked.
func (db *DB) CreateAdvisory(ctx context.Context, org *Organisation, reportIDs []int64, in *AdvisoryInput, actor Actor) (*Advisory, error) {
	if errs := in.Validate(); len(errs) > 0 {
		return nil, Invalid(errs)
	}
	if len(reportIDs) == 0 {
		return nil, Invalid(FieldErrors{"reports": "Name at least one report the advisory is about."})
	}
	type proposed struct {
		reportID int64
		name     string
		declined bool
	}
	var credits []proposed
	for _, id := range reportIDs {
		r, err := db.ReportByID(ctx, id)
		if err != nil {
			return nil, err
		}
		p := proposed{reportID: r.ID, declined: true}
		if r.Reporter.Credit == CreditName || r.Reporter.Credit == CreditHandle {
			name := r.Reporter.Name
			if r.Reporter.Sealed {
				var ok bool
				if name, ok = db.openText(name); !ok {
					return nil, Errorf(ECONFLICT, "The reporter's name of %s is sealed: unlock the team key to propose their credit.", r.Ref())
				}
			}
			p.name, p.declined = strings.TrimSpace(name), strings.TrimSpace(name) == ""
		}
		credits = append(credits, p)
	}
	var out *Advisory
	err := db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		for _, c := range credits {
			var orgID int64
			err := tx.QueryRowContext(ctx, `SELECT p.org_id FROM reports r JOIN programs p ON p.id = r.program_id WHERE r.id = ?`, c.reportID).Scan(&orgID)
			if errors.Is(err, sql.ErrNoRows) || orgID != org.ID {
				return Invalid(FieldErrors{"reports": "Each report must be one of this organisation's."})
			} else if err != nil {
				return fmt.Errorf("db: advisory report: %w", err)
			}
		}
		year := tx.now.UTC().Year()
		var seq int
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) + 1 FROM advisories WHERE org_id = ? AND year = ?`, org.ID, year).Scan(&seq); err != nil {
			return fmt.Errorf("db: next advisory number: %w", err)
		}
		ident := advisoryIdent(org, year, seq)
		sev, s3, s4 := in.severity()
		now := formatTime(tx.now)
		res, err := tx.ExecContext(ctx, `INSERT INTO advisories (org_id, ident, year, seq, title, summary, details, workarounds,
			cvss3, cvss3_score, cvss4, cvss4_score, severity, cwe, cve_ids, refs, author_id, publish_at, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			org.ID, ident, year, seq, in.Title, in.Summary, in.Details, in.Workarounds, in.CVSS3, s3, in.CVSS4, s4, string(sev),
			in.CWE, strings.Join(in.CVEs, "\n"), strings.Join(in.References, "\n"), nullID(actor.UserID), formatNullTime(in.PublishAt), now, now)
		if isUnique(err) {
			return Errorf(ECONFLICT, "Another advisory took this number; try again.")
		} else if err != nil {
			return fmt.Errorf("db: insert advisory: %w", err)
		}
		id, err := res.LastInsertId()
		if err != nil {
			return fmt.Errorf("db: insert advisory: %w", err)
		}
		for _, c := range credits {
			if _, err := tx.ExecContext(ctx, `INSERT INTO advisory_reports (advisory_id, report_id) VALUES (?, ?)`, id, c.reportID); err != nil {
				return fmt.Errorf("db: link advisory report: %w", err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO advisory_credits (advisory_id, report_id, name, type, declined) VALUES (?, ?, ?, 'finder', ?)`,
				id, c.reportID, c.name, c.declined); err != nil && !isUnique(err) {
				return fmt.Errorf("db: propose credit: %w", err)
			}
		}
		if err := tx.setAdvisoryParts(ctx, id, in); err != nil {
			return err
		}
		if err := tx.audit(ctx, actor, "advisory.create", ident, fmt.Sprintf("reports=%d", len(credits))); err != nil {
			return err
		}
		out, err = advisoryWhere(ctx, tx, `a.id = ?`, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// setAdvisoryParts replaces the products and the staff's credits (the
// reporters' proposed credits stay as the reporters left them).
func (tx *Tx) setAdvisoryParts(ctx context.Context, id int64, in *AdvisoryInput) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM advisory_products WHERE advisory_id = ?`, id); err != nil {
		return fmt.Errorf("db: advisory products: %w", err)
	}
	for i, p := range in.Products {
		if _, err := tx.ExecContext(ctx, `INSERT INTO advisory_products (advisory_id, position, product, affected, fixed, ecosystem, package)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, id, i+1, p.Product, p.Affected, p.Fixed, p.Ecosystem, p.Package); err != nil {
			return fmt.Errorf("db: advisory products: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM advisory_credits WHERE advisory_id = ? AND report_id IS NULL`, id); err != nil {
		return fmt.Errorf("db: advisory credits: %w", err)
	}
	for _, c := range in.Credits {
		if _, err := tx.ExecContext(ctx, `INSERT INTO advisory_credits (advisory_id, name, type) VALUES (?, ?, ?)`, id, c.Name, string(c.Type)); err != nil {
			return fmt.Errorf("db: advisory credits: %w", err)
		}
	}
	return nil
}

// UpdateAdvisory changes a draft. An advisory in review, scheduled or
// public is not edited in place: it goes back to draft first, or gets a
// revision (ReviseAdvisory).
func (db *DB) UpdateAdvisory(ctx context.Context, id, version int64, in *AdvisoryInput, actor Actor) error {
	if errs := in.Validate(); len(errs) > 0 {
		return Invalid(errs)
	}
	return db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		a, err := tx.lockAdvisory(ctx, id, version, AdvisoryDraft)
		if err != nil {
			return err
		}
		if err := tx.writeAdvisory(ctx, a.ID, in, `publish_at = ?, editor_id = ?`, formatNullTime(in.PublishAt), nullID(actor.UserID)); err != nil {
			return err
		}
		return tx.audit(ctx, actor, "advisory.edit", a.Ident, "")
	})
}

// writeAdvisory stores the input's fields and parts, with extra
// assignments (set, args) in the same UPDATE.
func (tx *Tx) writeAdvisory(ctx context.Context, id int64, in *AdvisoryInput, set string, args ...any) error {
	sev, s3, s4 := in.severity()
	all := append([]any{in.Title, in.Summary, in.Details, in.Workarounds, in.CVSS3, s3, in.CVSS4, s4, string(sev), in.CWE,
		strings.Join(in.CVEs, "\n"), strings.Join(in.References, "\n"), formatTime(tx.now)}, args...)
	all = append(all, id)
	if _, err := tx.ExecContext(ctx, `UPDATE advisories SET title = ?, summary = ?, details = ?, workarounds = ?, cvss3 = ?, cvss3_score = ?,
		cvss4 = ?, cvss4_score = ?, severity = ?, cwe = ?, cve_ids = ?, refs = ?, updated_at = ?, version = version + 1, `+set+` WHERE id = ?`, all...); err != nil {
		return fmt.Errorf("db: update advisory: %w", err)
	}
	return tx.setAdvisoryParts(ctx, id, in)
}

// lockAdvisory reads an advisory for a change: it must be at version (else
// ECONFLICT: someone changed it meanwhile) and in one of the states.
func (tx *Tx) lockAdvisory(ctx context.Context, id, version int64, states ...AdvisoryState) (*Advisory, error) {
	a, err := advisoryWhere(ctx, tx, `a.id = ?`, id)
	if err != nil {
		return nil, err
	}
	if version != 0 && a.Version != version {
		return nil, Errorf(ECONFLICT, "Someone changed this advisory meanwhile. Reload it and try again.")
	}
	for _, s := range states {
		if a.State == s {
			return a, nil
		}
	}
	return nil, Errorf(ECONFLICT, "This cannot be done to an advisory in state %s.", strings.ReplaceAll(string(a.State), "_", " "))
}

const advisoryColumns = `a.id, a.org_id, a.ident, a.state, a.title, a.summary, a.details, a.workarounds, a.cvss3, COALESCE(a.cvss3_score, 0),
	a.cvss4, COALESCE(a.cvss4_score, 0), a.severity, a.cwe, a.cve_ids, a.refs, COALESCE(a.author_id, 0), COALESCE(au.email, ''),
	COALESCE(a.approver_id, 0), COALESCE(ap.email, ''), COALESCE(a.editor_id, 0), a.publish_at, a.published_at, a.withdrawn_at, a.revision, a.created_at, a.updated_at, a.version`

const advisoryFrom = ` FROM advisories a LEFT JOIN users au ON au.id = a.author_id LEFT JOIN users ap ON ap.id = a.approver_id `

func scanAdvisory(row interface{ Scan(...any) error }) (*Advisory, error) {
	var a Advisory
	var cves, refs, created, updated string
	var publishAt, publishedAt, withdrawnAt sql.NullString
	err := row.Scan(&a.ID, &a.OrgID, &a.Ident, &a.State, &a.Title, &a.Summary, &a.Details, &a.Workarounds, &a.CVSS3, &a.CVSS3Score,
		&a.CVSS4, &a.CVSS4Score, &a.Severity, &a.CWE, &cves, &refs, &a.AuthorID, &a.Author, &a.ApproverID, &a.Approver, &a.EditorID,
		&publishAt, &publishedAt, &withdrawnAt, &a.Revision, &created, &updated, &a.Version)
	if err != nil {
		return nil, err
	}
	a.CVEs, a.References = cleanList([]string{cves}, nil), cleanList([]string{refs}, nil)
	a.PublishAt, a.PublishedAt, a.WithdrawnAt = parseNullTime(publishAt), parseNullTime(publishedAt), parseNullTime(withdrawnAt)
	a.CreatedAt, a.UpdatedAt = parseTime(created), parseTime(updated)
	return &a, nil
}

// rowQuerier is what reading an advisory needs: the read pool or a Tx.
type rowQuerier interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}

// advisoryWhere reads one advisory with its parts.
func advisoryWhere(ctx context.Context, q rowQuerier, where string, args ...any) (*Advisory, error) {
	a, err := scanAdvisory(q.QueryRowContext(ctx, `SELECT `+advisoryColumns+advisoryFrom+` WHERE `+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, Errorf(ENOTFOUND, "Advisory not found.")
	} else if err != nil {
		return nil, fmt.Errorf("db: read advisory: %w", err)
	}
	return a, advisoryParts(ctx, q, a)
}

// advisoryParts reads an advisory's reports, products, credits and
// revisions.
func advisoryParts(ctx context.Context, q rowQuerier, a *Advisory) error {
	read := func(what, query string, scan func(*sql.Rows) error) error {
		rows, err := q.QueryContext(ctx, query, a.ID)
		if err != nil {
			return fmt.Errorf("db: read advisory %s: %w", what, err)
		}
		defer rows.Close()
		for rows.Next() {
			if err := scan(rows); err != nil {
				return fmt.Errorf("db: read advisory %s: %w", what, err)
			}
		}
		return rows.Err()
	}
	if err := read("reports", `SELECT r.id, p.prefix || '-' || r.number FROM advisory_reports ar JOIN reports r ON r.id = ar.report_id
		JOIN programs p ON p.id = r.program_id WHERE ar.advisory_id = ? ORDER BY r.id`, func(rows *sql.Rows) error {
		var r AdvisoryReport
		err := rows.Scan(&r.ID, &r.Ref)
		a.Reports = append(a.Reports, r)
		return err
	}); err != nil {
		return err
	}
	if err := read("products", `SELECT product, affected, fixed, ecosystem, package FROM advisory_products WHERE advisory_id = ? ORDER BY position`, func(rows *sql.Rows) error {
		var p AffectedProduct
		err := rows.Scan(&p.Product, &p.Affected, &p.Fixed, &p.Ecosystem, &p.Package)
		a.Products = append(a.Products, p)
		return err
	}); err != nil {
		return err
	}
	if err := read("credits", `SELECT id, COALESCE(report_id, 0), name, type, declined FROM advisory_credits WHERE advisory_id = ?
		ORDER BY report_id IS NULL, id`, func(rows *sql.Rows) error {
		var c AdvisoryCredit
		err := rows.Scan(&c.ID, &c.ReportID, &c.Name, &c.Type, &c.Declined)
		a.Credits = append(a.Credits, c)
		return err
	}); err != nil {
		return err
	}
	return read("revisions", `SELECT number, at, summary FROM advisory_revisions WHERE advisory_id = ? ORDER BY number`, func(rows *sql.Rows) error {
		var r AdvisoryRevision
		var at string
		err := rows.Scan(&r.Number, &at, &r.Summary)
		r.At = parseTime(at)
		a.Revisions = append(a.Revisions, r)
		return err
	})
}

// AdvisoryByIdent is an organisation's advisory in any state (staff).
// Another organisation's identifier is not found.
func (db *DB) AdvisoryByIdent(ctx context.Context, orgID int64, ident string) (*Advisory, error) {
	return advisoryWhere(ctx, db.read, `a.ident = ? AND a.org_id = ?`, strings.ToUpper(strings.TrimSpace(ident)), orgID)
}

// AdvisoryByID reads an advisory in any state.
func (db *DB) AdvisoryByID(ctx context.Context, id int64) (*Advisory, error) {
	return advisoryWhere(ctx, db.read, `a.id = ?`, id)
}

// PublicAdvisory is an organisation's advisory as the public sees it:
// not found unless it is published (withdrawn ones stay readable, marked).
func (db *DB) PublicAdvisory(ctx context.Context, orgID int64, ident string) (*Advisory, error) {
	return advisoryWhere(ctx, db.read, `a.ident = ? AND a.org_id = ? AND a.state IN ('published', 'updated', 'withdrawn')`,
		strings.ToUpper(strings.TrimSpace(ident)), orgID)
}

// maxAdvisoryList bounds a list page.
const maxAdvisoryList = 500

// OrgAdvisories lists an organisation's advisories in every state, newest
// first (the dashboard), without their parts.
func (db *DB) OrgAdvisories(ctx context.Context, orgID int64) ([]*Advisory, error) {
	return db.advisoryList(ctx, `a.org_id = ? ORDER BY a.id DESC LIMIT ?`, orgID, maxAdvisoryList)
}

// PublicAdvisories lists an organisation's public advisories, newest
// publication first, with their parts (the feed and the formats need them).
func (db *DB) PublicAdvisories(ctx context.Context, orgID int64, limit int) ([]*Advisory, error) {
	if limit <= 0 || limit > maxAdvisoryList {
		limit = maxAdvisoryList
	}
	list, err := db.advisoryList(ctx, `a.org_id = ? AND a.published_at IS NOT NULL AND a.state IN ('published', 'updated', 'withdrawn')
		ORDER BY a.published_at DESC, a.id DESC LIMIT ?`, orgID, limit)
	if err != nil {
		return nil, err
	}
	for _, a := range list {
		if err := advisoryParts(ctx, db.read, a); err != nil {
			return nil, err
		}
	}
	return list, nil
}

func (db *DB) advisoryList(ctx context.Context, where string, args ...any) ([]*Advisory, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+advisoryColumns+advisoryFrom+` WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("db: list advisories: %w", err)
	}
	defer rows.Close()
	var out []*Advisory
	for rows.Next() {
		a, err := scanAdvisory(rows)
		if err != nil {
			return nil, fmt.Errorf("db: list advisories: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// Acknowledgement is one public credit on the acknowledgements page.
type Acknowledgement struct {
	Name     string
	Type     CreditType
	Ident    string
	Title    string
	Credited time.Time
}

// Acknowledgements are the credits of an organisation's public advisories,
// newest first; declined credits are not among them.
func (db *DB) Acknowledgements(ctx context.Context, orgID int64) ([]Acknowledgement, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT c.name, c.type, a.ident, a.title, a.published_at FROM advisories a
		JOIN advisory_credits c ON c.advisory_id = a.id
		WHERE a.org_id = ? AND a.published_at IS NOT NULL AND a.state IN ('published', 'updated') AND c.declined = 0 AND c.name <> ''
		ORDER BY a.published_at DESC, c.id LIMIT ?`, orgID, maxAdvisoryList*4)
	if err != nil {
		return nil, fmt.Errorf("db: acknowledgements: %w", err)
	}
	defer rows.Close()
	var out []Acknowledgement
	for rows.Next() {
		var k Acknowledgement
		var at string
		if err := rows.Scan(&k.Name, &k.Type, &k.Ident, &k.Title, &at); err != nil {
			return nil, fmt.Errorf("db: acknowledgements: %w", err)
		}
		k.Credited = parseTime(at)
		out = append(out, k)
	}
	return out, rows.Err()
}

// FindAdvisory is the advisory with an identifier, of whichever
// organisation (identifiers are unique across the portal): the command
// line's lookup, which has no host to scope by.
func (db *DB) FindAdvisory(ctx context.Context, ident string) (*Advisory, error) {
	return advisoryWhere(ctx, db.read, `a.ident = ?`, strings.ToUpper(strings.TrimSpace(ident)))
}
