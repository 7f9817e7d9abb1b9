package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Source is how a report reached the portal.
type Source string

// Report sources.
const (
	SourceWeb   Source = "web"
	SourceEmail Source = "email"
)

// Credit is how the reporter wishes to be credited.
type Credit string

// Credit preferences.
const (
	CreditName      Credit = "name"
	CreditHandle    Credit = "handle"
	CreditAnonymous Credit = "anonymous"
)

// Reporter is the person behind a report; every field is optional.
type Reporter struct {
	ID             int64
	Name           string // name or handle
	Email          string
	PGPKey         string // armored public key
	PGPFingerprint string
	Credit         Credit
	Sealed         bool
}

// Report is one vulnerability report.
type Report struct {
	ID            int64
	ProgramID     int64
	ProgramName   string
	Prefix        string
	Number        int64
	Source        Source
	State         State
	PrevState     State
	Title         string
	Asset         string
	CWE           string
	Description   string
	Steps         string
	Impact        string
	CVSSVector    string
	CVSSScore     float64 // valid when CVSSVector != ""
	Severity      Severity
	CVEID         string
	AlreadyPublic bool
	Exploited     bool
	CloseReason   string
	Version       int64
	Reporter      Reporter
	Sealed        bool // its text is stored sealed (see seal.go)
	Locked        bool // sealed and not readable now: the text fields say SealedText
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Ref is the reference people quote: PREFIX-N.
func (r *Report) Ref() string { return r.Prefix + "-" + strconv.FormatInt(r.Number, 10) }

// ParseRef splits "ACME-12" into prefix and number.
func ParseRef(ref string) (prefix string, number int64, ok bool) {
	i := strings.LastIndexByte(ref, '-')
	if i <= 0 {
		return "", 0, false
	}
	n, err := strconv.ParseInt(ref[i+1:], 10, 64)
	if err != nil || n <= 0 || !ValidPrefix(ref[:i]) {
		return "", 0, false
	}
	return ref[:i], n, true
}

const reportColumns = `r.id, r.program_id, p.name, p.prefix, r.number, r.source, r.state, r.prev_state,
	r.title, r.asset, r.cwe, r.description, r.steps, r.impact, r.cvss_vector, COALESCE(r.cvss_score, 0),
	r.severity, r.cve_id, r.already_public, r.exploited, r.close_reason, r.version, r.created_at, r.updated_at,
	COALESCE(rp.id, 0), COALESCE(rp.name, ''), COALESCE(rp.email, ''), COALESCE(rp.pgp_key, ''),
	COALESCE(rp.pgp_fingerprint, ''), COALESCE(rp.credit, 'anonymous'), r.sealed, COALESCE(rp.sealed, 0)`

const reportFrom = ` FROM reports r JOIN programs p ON p.id = r.program_id LEFT JOIN reporters rp ON rp.id = r.reporter_id `

func scanReport(row interface{ Scan(...any) error }) (*Report, error) {
	var r Report
	var created, updated string
	err := row.Scan(&r.ID, &r.ProgramID, &r.ProgramName, &r.Prefix, &r.Number, &r.Source, &r.State, &r.PrevState,
		&r.Title, &r.Asset, &r.CWE, &r.Description, &r.Steps, &r.Impact, &r.CVSSVector, &r.CVSSScore,
		&r.Severity, &r.CVEID, &r.AlreadyPublic, &r.Exploited, &r.CloseReason, &r.Version, &created, &updated,
		&r.Reporter.ID, &r.Reporter.Name, &r.Reporter.Email, &r.Reporter.PGPKey,
		&r.Reporter.PGPFingerprint, &r.Reporter.Credit, &r.Sealed, &r.Reporter.Sealed)
	if err != nil {
		return nil, err
	}
	r.CreatedAt, r.UpdatedAt = parseTime(created), parseTime(updated)
	return &r, nil
}

// ReportByID returns a report with its program and reporter.
func (db *DB) ReportByID(ctx context.Context, id int64) (*Report, error) {
	return db.reportWhere(ctx, `r.id = ?`, id)
}

// ReportByRef returns the report with reference PREFIX-N.
func (db *DB) ReportByRef(ctx context.Context, ref string) (*Report, error) {
	prefix, n, ok := ParseRef(strings.ToUpper(strings.TrimSpace(ref)))
	if !ok {
		return nil, Errorf(ENOTFOUND, "Report not found.")
	}
	return db.reportWhere(ctx, `p.prefix = ? AND r.number = ?`, prefix, n)
}

func (db *DB) reportWhere(ctx context.Context, where string, args ...any) (*Report, error) {
	r, err := scanReport(db.read.QueryRowContext(ctx, `SELECT `+reportColumns+reportFrom+` WHERE `+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, Errorf(ENOTFOUND, "Report not found.")
	} else if err != nil {
		return nil, fmt.Errorf("db: find report: %w", err)
	}
	db.openReport(r)
	return r, nil
}

// CountReports counts all reports (tests, health and load runs use it).
func (db *DB) CountReports(ctx context.Context) (int64, error) {
	var n int64
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM reports`).Scan(&n); err != nil {
		return 0, fmt.Errorf("db: count reports: %w", err)
	}
	return n, nil
}

// SearchReports returns the ids of reports whose text matches an FTS5 query
// made of the words in q (each word quoted, so no query syntax leaks through).
func (db *DB) SearchReports(ctx context.Context, q string, limit int) ([]int64, error) {
	match := ftsQuery(q)
	if match == "" {
		return nil, nil
	}
	var ids []int64
	if db.sealer != nil && db.sealOn {
		var err error
		if ids, _, err = db.sealedMatches(ctx, match, limit); err != nil {
			return nil, err
		}
	}
	rows, err := db.read.QueryContext(ctx, `SELECT rowid FROM reports_fts WHERE reports_fts MATCH ? ORDER BY rank LIMIT ?`, match, limit)
	if err != nil {
		return nil, fmt.Errorf("db: search reports: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("db: scan search: %w", err)
		}
		ids = append(ids, id)
	}
	if len(ids) > limit {
		ids = ids[:limit]
	}
	return ids, rows.Err()
}

// ftsQuery turns free text into an FTS5 query of quoted words, all required,
// in the text columns only (not the scope of migration 0034).
func ftsQuery(q string) string {
	words := searchWords(q)
	if len(words) == 0 {
		return ""
	}
	terms := make([]string, len(words))
	for i, w := range words {
		terms[i] = `"` + w + `"`
	}
	return textColumns + ` : (` + strings.Join(terms, " AND ") + `)`
}

// searchWords are the distinct words of free text as FTS5 may read them
// inside quotes: without '"', and with control characters (NUL among
// them) taken as spaces. FTS5 stops reading a query at a NUL, so one in a
// quoted word left the quote open: "unterminated string", an internal
// error, from any search box (review6 F5).
func searchWords(q string) []string {
	q = strings.Map(func(r rune) rune {
		switch {
		case r == '"':
			return -1
		case unicode.IsControl(r):
			return ' '
		}
		return r
	}, q)
	var words []string
	for _, w := range strings.Fields(q) {
		if !slices.Contains(words, w) {
			words = append(words, w)
		}
	}
	return words
}

// openReport replaces the sealed fields of r by their plaintext, or by
// SealedText while the key is locked (r.Locked says which).
func (db *DB) openReport(r *Report) {
	if r.Sealed {
		r.Locked = !db.openTexts(&r.Title, &r.Asset, &r.Description, &r.Steps, &r.Impact, &r.CloseReason)
	}
	if r.Reporter.Sealed {
		if !db.openTexts(&r.Reporter.Name, &r.Reporter.Email, &r.Reporter.PGPKey) {
			r.Locked = true
		}
	}
}
