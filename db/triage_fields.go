package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	_ "time/tzdata" // disclosure dates name IANA zones; a minimal host may have no zoneinfo
	"unicode/utf8"

	"github.com/disclose/disclose/db/cwe"
)

// FieldEdit is the triager's form of the report's classification fields.
// Every field is sent; only the ones that differ from the report are
// written, each as its own timeline entry and audit row.
type FieldEdit struct {
	Asset      string
	CWE        string
	CVSSVector string
	CVEID      string
	// DisclosureDate is YYYY-MM-DD, DisclosureTime HH:MM (optional, default
	// 00:00) and DisclosureZone an IANA zone name (default UTC).
	DisclosureDate string
	DisclosureTime string
	DisclosureZone string
	Credit         string
}

var cveRE = regexp.MustCompile(`^CVE-[0-9]{4}-[0-9]{4,}$`)

// ValidCVE reports whether s is a CVE ID: CVE-YYYY-NNNN with four or more digits.
func ValidCVE(s string) bool { return cveRE.MatchString(s) }

// disclosureInstant parses the date, time and zone of a FieldEdit.
func disclosureInstant(date, clock, zone string) (time.Time, string, string) {
	if date == "" {
		if clock != "" {
			return time.Time{}, "", "Give a date for the disclosure, or clear the time."
		}
		return time.Time{}, "", ""
	}
	if zone == "" {
		zone = "UTC"
	}
	loc, err := time.LoadLocation(zone)
	if err != nil || zone == "Local" {
		return time.Time{}, "", "Choose a time zone by its IANA name, like Europe/Paris or UTC."
	}
	if clock == "" {
		clock = "00:00"
	}
	t, err := time.ParseInLocation("2006-01-02 15:04", date+" "+clock, loc)
	if err != nil {
		return time.Time{}, "", "Give the date as YYYY-MM-DD and the time as HH:MM."
	}
	return t.UTC(), zone, ""
}

// fieldChange is one edited field, as the timeline and the audit log say it.
type fieldChange struct {
	field, label, value string
	set                 string
	args                []any
}

// EditFields writes the changed classification fields of a report. A bad
// field refuses the whole edit, with a message per field.
func (db *DB) EditFields(ctx context.Context, reportID, version int64, actor Actor, in FieldEdit) error {
	in.Asset, in.CWE, in.CVSSVector = strings.TrimSpace(in.Asset), strings.TrimSpace(in.CWE), strings.TrimSpace(in.CVSSVector)
	in.CVEID, in.Credit = strings.ToUpper(strings.TrimSpace(in.CVEID)), strings.TrimSpace(in.Credit)
	in.DisclosureDate, in.DisclosureTime, in.DisclosureZone = strings.TrimSpace(in.DisclosureDate), strings.TrimSpace(in.DisclosureTime), strings.TrimSpace(in.DisclosureZone)
	errs := FieldErrors{}
	if utf8.RuneCountInString(in.Asset) > 200 {
		errs["asset"] = "Keep the asset under 200 characters."
	}
	if in.CWE != "" {
		if _, ok := cwe.Lookup(in.CWE); !ok {
			errs["cwe"] = "Choose a weakness type from the list, or leave it empty."
		}
	}
	var cvss *CVSS
	if in.CVSSVector != "" {
		var err error
		if cvss, err = ParseAnyCVSS(in.CVSSVector); err != nil {
			errs["cvss"] = ErrorMessage(err)
		}
	}
	if in.CVEID != "" && !ValidCVE(in.CVEID) {
		errs["cve"] = "Give a CVE ID like CVE-2025-12345 (year, then four or more digits), or leave it empty."
	}
	disclosure, zone, msg := disclosureInstant(in.DisclosureDate, in.DisclosureTime, in.DisclosureZone)
	if msg != "" {
		errs["disclosure"] = msg
	}
	if utf8.RuneCountInString(in.Credit) > 200 {
		errs["credit"] = "Keep the credit line under 200 characters."
	}
	if len(errs) > 0 {
		return Invalid(errs)
	}

	return db.updateReport(ctx, reportID, version, func(ctx context.Context, tx *Tx, r *Report) error {
		var oldDisclosure sql.NullString
		var oldZone, oldCredit string
		if err := tx.QueryRowContext(ctx, `SELECT disclosure_at, disclosure_tz, credit FROM reports WHERE id = ?`, reportID).Scan(&oldDisclosure, &oldZone, &oldCredit); err != nil {
			return fmt.Errorf("db: read report fields: %w", err)
		}
		if r.Sealed {
			// Editing needs the plaintext to compare and the key to re-seal.
			if r.Locked {
				return Errorf(ECONFLICT, "This report is sealed; unlock the team key to edit it.")
			}
			oldCredit, _ = tx.db.openText(oldCredit)
		}
		sealArg := func(s string) any {
			if !r.Sealed {
				return s
			}
			v, err := tx.db.sealText(s)
			if err != nil {
				return fieldSealError{err}
			}
			return v
		}
		var changes []fieldChange
		if in.Asset != r.Asset {
			changes = append(changes, fieldChange{"asset", "Asset", orNone(in.Asset), `asset = ?`, []any{sealArg(in.Asset)}})
		}
		if in.CWE != r.CWE {
			label := in.CWE
			if c, ok := cwe.Lookup(in.CWE); ok {
				label = c.ID + " " + c.Name
			}
			changes = append(changes, fieldChange{"cwe", "Weakness", orNone(label), `cwe = ?`, []any{in.CWE}})
		}
		if in.CVSSVector != r.CVSSVector {
			if cvss == nil {
				changes = append(changes, fieldChange{"cvss", "CVSS", "none", `cvss_vector = '', cvss_score = NULL, severity = ''`, nil})
			} else {
				changes = append(changes, fieldChange{"cvss", "CVSS", fmt.Sprintf("%s (%.1f, %s)", cvss.Vector, cvss.Score, cvss.Severity),
					`cvss_vector = ?, cvss_score = ?, severity = ?`, []any{cvss.Vector, cvss.Score, string(cvss.Severity)}})
			}
		}
		if in.CVEID != r.CVEID {
			changes = append(changes, fieldChange{"cve", "CVE", orNone(in.CVEID), `cve_id = ?`, []any{in.CVEID}})
		}
		if old := parseNullTime(oldDisclosure); !old.Equal(disclosure) || (!disclosure.IsZero() && zone != oldZone) {
			value := "none"
			if !disclosure.IsZero() {
				loc, _ := time.LoadLocation(zone)
				value = disclosure.In(loc).Format("2 January 2006 15:04") + " " + zone
			}
			changes = append(changes, fieldChange{"disclosure", "Disclosure date", value, `disclosure_at = ?, disclosure_tz = ?`,
				[]any{formatNullTime(disclosure), zone}})
		}
		if in.Credit != oldCredit {
			changes = append(changes, fieldChange{"credit", "Credit", orNone(in.Credit), `credit = ?`, []any{sealArg(in.Credit)}})
		}
		if len(changes) == 0 {
			return nil // nothing changed: the version stays, no entry is written
		}
		var sets []string
		var args []any
		for _, c := range changes {
			for _, a := range c.args {
				if e, ok := a.(fieldSealError); ok {
					return e.err
				}
			}
			sets = append(sets, c.set)
			args = append(args, c.args...)
			if _, err := tx.addMessage(ctx, &NewMessage{ReportID: reportID, Kind: KindEvent, AuthorID: actor.UserID,
				Event: "edit:" + c.field, Body: c.label + ": " + c.value}); err != nil {
				return err
			}
			if err := tx.audit(ctx, actor, "report.edit", r.Ref(), "field="+c.field); err != nil {
				return err
			}
		}
		// The in-memory index of sealed reports learns of the edit from the
		// list migration 0018's trigger keeps.
		return tx.touch(ctx, reportID, strings.Join(sets, ", "), args...)
	})
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// ReportDetails are the staff-only fields the public Report type leaves out.
type ReportDetails struct {
	AssigneeID    int64
	Assignee      string
	DuplicateOf   string // reference of the original
	DisclosureAt  time.Time
	DisclosureTZ  string
	Credit        string
	FirstResponse time.Time
	TriagedAt     time.Time
	ResolvedAt    time.Time
	ClosedAt      time.Time
	PausedAt      time.Time
	Sealed        bool
}

// detailsColumns and detailsJoin read the staff-only fields alongside
// reportColumns (r is the report).
const detailsColumns = `COALESCE(r.assignee_id, 0), COALESCE(NULLIF(u.name, ''), u.email, ''),
	COALESCE(op.prefix || '-' || o.number, ''), r.disclosure_at, r.disclosure_tz, r.credit,
	r.first_response_at, r.triaged_at, r.resolved_at, r.closed_at, r.paused_at, r.sealed`

const detailsJoin = ` LEFT JOIN users u ON u.id = r.assignee_id
	LEFT JOIN reports o ON o.id = r.duplicate_of LEFT JOIN programs op ON op.id = o.program_id `

// detailsDest returns the scan destinations of detailsColumns and a func
// that finishes d after the scan.
func detailsDest(d *ReportDetails) ([]any, func()) {
	var disclosure, first, triaged, resolved, closed, paused sql.NullString
	dest := []any{&d.AssigneeID, &d.Assignee, &d.DuplicateOf, &disclosure, &d.DisclosureTZ, &d.Credit,
		&first, &triaged, &resolved, &closed, &paused, &d.Sealed}
	return dest, func() {
		d.DisclosureAt, d.FirstResponse, d.TriagedAt = parseNullTime(disclosure), parseNullTime(first), parseNullTime(triaged)
		d.ResolvedAt, d.ClosedAt, d.PausedAt = parseNullTime(resolved), parseNullTime(closed), parseNullTime(paused)
	}
}

// Details reads the staff-only fields of a report.
func (db *DB) Details(ctx context.Context, reportID int64) (*ReportDetails, error) {
	d := &ReportDetails{}
	dest, finish := detailsDest(d)
	err := db.read.QueryRowContext(ctx, `SELECT `+detailsColumns+` FROM reports r`+detailsJoin+` WHERE r.id = ?`, reportID).Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, Errorf(ENOTFOUND, "Report not found.")
	} else if err != nil {
		return nil, fmt.Errorf("db: read report details: %w", err)
	}
	finish()
	if d.Sealed {
		d.Credit, _ = db.openText(d.Credit)
	}
	return d, nil
}

// fieldSealError carries a sealing failure out of a field change's args.
type fieldSealError struct{ err error }
