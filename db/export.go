package db

import (
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// ExportedReport is one report as exports write it: every field, the staff
// details, the next deadline and the whole timeline with attachment
// metadata (never attachment bytes).
type ExportedReport struct {
	Report   *Report
	Details  *ReportDetails
	Next     *Deadline
	Timeline []*Message
}

// ExportReports calls fn for every report matching f (every page, in the
// filter's order). It is a read; callers audit the export with AuditExport.
func (db *DB) ExportReports(ctx context.Context, f QueueFilter, fn func(*ExportedReport) error) (int, error) {
	if f.Visible != nil && len(f.Visible) == 0 {
		return 0, nil
	}
	now := db.Now().UTC()
	from, where, args, order := queueQuery(f, now, false)
	if where == "" {
		return 0, nil
	}
	rows, err := db.read.QueryContext(ctx, `SELECT r.id, r.due_kind, r.due_at, r.due_warn_at, r.paused_at `+from+where+` ORDER BY `+order, args...)
	if err != nil {
		return 0, fmt.Errorf("db: export: %w", err)
	}
	type item struct {
		id   int64
		next *Deadline
	}
	var items []item
	for rows.Next() {
		var it item
		var kind string
		var due, warn sql.NullInt64
		var paused sql.NullString
		if err := rows.Scan(&it.id, &kind, &due, &warn, &paused); err != nil {
			rows.Close()
			return 0, fmt.Errorf("db: export: %w", err)
		}
		it.next = nextDeadline(kind, due, warn, paused, now)
		items = append(items, it)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("db: export: %w", err)
	}
	for _, it := range items {
		r, err := db.ReportByID(ctx, it.id)
		if err != nil {
			return 0, err
		}
		d, err := db.Details(ctx, it.id)
		if err != nil {
			return 0, err
		}
		tl, err := db.Timeline(ctx, it.id, false)
		if err != nil {
			return 0, err
		}
		if err := fn(&ExportedReport{Report: r, Details: d, Next: it.next, Timeline: tl}); err != nil {
			return 0, err
		}
	}
	return len(items), nil
}

// AuditExport records that someone exported reports: exports carry every
// report's text out of the portal. n < 0 is an export whose size is not
// known yet (the web export is audited before it streams).
func (db *DB) AuditExport(ctx context.Context, actor Actor, format string, n int, filter string) error {
	detail := fmt.Sprintf("format=%s filter=%s", format, filter)
	if n >= 0 {
		detail = fmt.Sprintf("format=%s reports=%d filter=%s", format, n, filter)
	}
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := tx.audit(ctx, actor, "report.export", "", detail); err != nil {
		return err
	}
	return tx.Commit()
}

func isoTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

type exportAttachment struct {
	ID          int64  `json:"id"`
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
}

type exportMessage struct {
	ID          int64              `json:"id"`
	At          string             `json:"at"`
	Kind        string             `json:"kind"`
	Public      bool               `json:"public"`
	Author      string             `json:"author,omitempty"`
	Source      string             `json:"source,omitempty"`
	Event       string             `json:"event,omitempty"`
	FromState   string             `json:"from_state,omitempty"`
	ToState     string             `json:"to_state,omitempty"`
	Body        string             `json:"body"`
	Attachments []exportAttachment `json:"attachments"`
}

// exportColumns are the report fields of both formats, in CSV column order.
var exportColumns = []string{"ref", "program", "title", "state", "prev_state", "source", "severity", "cvss_vector", "cvss_score",
	"cve_id", "cwe", "asset", "description", "steps", "impact", "already_public", "exploited", "assignee", "duplicate_of",
	"close_reason", "disclosure_at", "disclosure_tz", "credit", "reporter_name", "reporter_email", "reporter_pgp_fingerprint",
	"reporter_credit", "created_at", "updated_at", "first_response_at", "triaged_at", "resolved_at", "closed_at",
	"next_deadline", "next_deadline_kind", "next_deadline_status", "version"}

func exportFields(e *ExportedReport) []string {
	r, d := e.Report, e.Details
	score := ""
	if r.CVSSVector != "" {
		score = strconv.FormatFloat(r.CVSSScore, 'f', 1, 64)
	}
	next, kind, status := "", "", ""
	if e.Next != nil {
		next, kind, status = isoTime(e.Next.Due), string(e.Next.Kind), string(e.Next.Status)
	}
	return []string{r.Ref(), r.ProgramName, r.Title, string(r.State), string(r.PrevState), string(r.Source), string(r.Severity),
		r.CVSSVector, score, r.CVEID, r.CWE, r.Asset, r.Description, r.Steps, r.Impact, strconv.FormatBool(r.AlreadyPublic),
		strconv.FormatBool(r.Exploited), d.Assignee, d.DuplicateOf, r.CloseReason, isoTime(d.DisclosureAt), d.DisclosureTZ, d.Credit,
		r.Reporter.Name, r.Reporter.Email, r.Reporter.PGPFingerprint, string(r.Reporter.Credit), isoTime(r.CreatedAt),
		isoTime(r.UpdatedAt), isoTime(d.FirstResponse), isoTime(d.TriagedAt), isoTime(d.ResolvedAt), isoTime(d.ClosedAt),
		next, kind, status, strconv.FormatInt(r.Version, 10)}
}

func exportTimeline(tl []*Message) []exportMessage {
	out := make([]exportMessage, 0, len(tl))
	for _, m := range tl {
		em := exportMessage{ID: m.ID, At: isoTime(m.CreatedAt), Kind: string(m.Kind), Public: m.Public, Author: m.AuthorName,
			Source: string(m.Source), Event: m.Event, FromState: string(m.FromState), ToState: string(m.ToState), Body: m.Body,
			Attachments: []exportAttachment{}}
		for _, a := range m.Attachments {
			em.Attachments = append(em.Attachments, exportAttachment{a.ID, a.Filename, a.ContentType, a.Size, a.SHA256})
		}
		out = append(out, em)
	}
	return out
}

// JSONExporter writes reports as one JSON array, one report per line.
type JSONExporter struct {
	w     io.Writer
	count int
}

// NewJSONExporter starts a JSON export on w.
func NewJSONExporter(w io.Writer) *JSONExporter { return &JSONExporter{w: w} }

// Write adds one report.
func (x *JSONExporter) Write(e *ExportedReport) error {
	obj := map[string]any{}
	for i, v := range exportFields(e) {
		obj[exportColumns[i]] = v
	}
	obj["timeline"] = exportTimeline(e.Timeline)
	buf, err := json.Marshal(obj)
	if err != nil {
		return fmt.Errorf("db: encode report: %w", err)
	}
	sep := ",\n"
	if x.count == 0 {
		sep = "[\n"
	}
	x.count++
	_, err = io.WriteString(x.w, sep+string(buf))
	return err
}

// Close ends the array.
func (x *JSONExporter) Close() error {
	end := "\n]\n"
	if x.count == 0 {
		end = "[]\n"
	}
	_, err := io.WriteString(x.w, end)
	return err
}

// CSVExporter writes one row per report; the timeline is a JSON column.
type CSVExporter struct{ w *csv.Writer }

// NewCSVExporter starts a CSV export on w with its header row.
func NewCSVExporter(w io.Writer) (*CSVExporter, error) {
	x := &CSVExporter{w: csv.NewWriter(w)}
	return x, x.w.Write(append(append([]string(nil), exportColumns...), "timeline"))
}

// Write adds one report.
func (x *CSVExporter) Write(e *ExportedReport) error {
	tl, err := json.Marshal(exportTimeline(e.Timeline))
	if err != nil {
		return fmt.Errorf("db: encode timeline: %w", err)
	}
	row := append(exportFields(e), string(tl))
	for i, v := range row {
		row[i] = csvSafe(v)
	}
	return x.w.Write(row)
}

// Close flushes the rows.
func (x *CSVExporter) Close() error {
	x.w.Flush()
	return x.w.Error()
}

// csvSafe defuses formula injection: report text is attacker-controlled and
// a spreadsheet would run a cell starting with = + - @ as a formula.
func csvSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}
