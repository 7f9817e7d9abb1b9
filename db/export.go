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

// exportChunk is how many reports one round of export queries reads.
const exportChunk = 500

// ExportReports calls fn for every report matching f (every page, in the
// filter's order), reading in chunks from one snapshot. It is a read;
// callers audit the export with AuditExport.
func (db *DB) ExportReports(ctx context.Context, f QueueFilter, fn func(*ExportedReport) error) (int, error) {
	if f.Visible != nil && len(f.Visible) == 0 {
		return 0, nil
	}
	tx, err := db.beginRead(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	now := db.Now().UTC()
	from, where, args, order := queueQuery(f, now, false)
	if where == "" {
		return 0, nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT r.id, r.due_kind, r.due_at, r.due_warn_at, r.paused_at `+from+where+` ORDER BY `+order, args...)
	if err != nil {
		return 0, fmt.Errorf("db: export: %w", err)
	}
	var ids []int64
	next := map[int64]*Deadline{}
	for rows.Next() {
		var id int64
		var kind string
		var due, warn sql.NullInt64
		var paused sql.NullString
		if err := rows.Scan(&id, &kind, &due, &warn, &paused); err != nil {
			rows.Close()
			return 0, fmt.Errorf("db: export: %w", err)
		}
		ids = append(ids, id)
		next[id] = nextDeadline(kind, due, warn, paused, now)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("db: export: %w", err)
	}
	for start := 0; start < len(ids); start += exportChunk {
		chunk := ids[start:min(start+exportChunk, len(ids))]
		reports, err := exportChunkRead(ctx, tx, chunk)
		if err != nil {
			return 0, err
		}
		for _, id := range chunk {
			e := reports[id]
			e.Next = next[id]
			if err := fn(e); err != nil {
				return 0, err
			}
		}
	}
	return len(ids), tx.Commit()
}

// exportChunkRead reads the reports, details, timelines and attachment
// metadata of some reports with three queries.
func exportChunkRead(ctx context.Context, tx *sql.Tx, ids []int64) (map[int64]*ExportedReport, error) {
	in := `(` + placeholders(len(ids)) + `)`
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	out := make(map[int64]*ExportedReport, len(ids))
	rows, err := tx.QueryContext(ctx, `SELECT `+reportColumns+`, `+detailsColumns+reportFrom+detailsJoin+` WHERE r.id IN `+in, args...)
	if err != nil {
		return nil, fmt.Errorf("db: export reports: %w", err)
	}
	for rows.Next() {
		e := &ExportedReport{Details: &ReportDetails{}}
		dest, finish := detailsDest(e.Details)
		if e.Report, err = scanReport(scanWith(rows, dest)); err != nil {
			rows.Close()
			return nil, fmt.Errorf("db: export scan report: %w", err)
		}
		finish()
		out[e.Report.ID] = e
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("db: export reports: %w", err)
	}
	byMsg := map[int64]*Message{}
	mrows, err := tx.QueryContext(ctx, `SELECT m.id, m.report_id, m.kind, m.public, COALESCE(m.author_id, 0), COALESCE(u.name, u.email, ''),
		m.source, m.body, m.event, m.from_state, m.to_state, m.created_at
		FROM messages m LEFT JOIN users u ON u.id = m.author_id WHERE m.report_id IN `+in+` ORDER BY m.report_id, m.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("db: export timeline: %w", err)
	}
	for mrows.Next() {
		m := &Message{}
		var created string
		if err := mrows.Scan(&m.ID, &m.ReportID, &m.Kind, &m.Public, &m.AuthorID, &m.AuthorName, &m.Source, &m.Body, &m.Event,
			&m.FromState, &m.ToState, &created); err != nil {
			mrows.Close()
			return nil, fmt.Errorf("db: export scan timeline: %w", err)
		}
		m.CreatedAt = parseTime(created)
		if e := out[m.ReportID]; e != nil {
			e.Timeline = append(e.Timeline, m)
			byMsg[m.ID] = m
		}
	}
	mrows.Close()
	if err := mrows.Err(); err != nil {
		return nil, fmt.Errorf("db: export timeline: %w", err)
	}
	arows, err := tx.QueryContext(ctx, `SELECT a.id, a.message_id, a.filename, a.content_type, a.size, a.sha256
		FROM attachments a JOIN messages m ON m.id = a.message_id WHERE m.report_id IN `+in+` ORDER BY a.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("db: export attachments: %w", err)
	}
	defer arows.Close()
	for arows.Next() {
		a := &Attachment{}
		if err := arows.Scan(&a.ID, &a.MessageID, &a.Filename, &a.ContentType, &a.Size, &a.SHA256); err != nil {
			return nil, fmt.Errorf("db: export scan attachment: %w", err)
		}
		if m := byMsg[a.MessageID]; m != nil {
			m.Attachments = append(m.Attachments, a)
		}
	}
	return out, arows.Err()
}

// scanWith lets scanReport fill its columns and then extra destinations
// from the same row.
func scanWith(rows *sql.Rows, extra []any) interface{ Scan(...any) error } {
	return scanFunc(func(dest ...any) error { return rows.Scan(append(dest, extra...)...) })
}

type scanFunc func(dest ...any) error

func (f scanFunc) Scan(dest ...any) error { return f(dest...) }

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

// exportFields are a report's values in exportColumns order, typed for
// JSON: numbers, booleans, and null for what is not set.
func exportFields(e *ExportedReport) []any {
	r, d := e.Report, e.Details
	var score any
	if r.CVSSVector != "" {
		score = r.CVSSScore
	}
	var next, kind, status any
	if e.Next != nil {
		next, kind, status = isoTime(e.Next.Due), string(e.Next.Kind), string(e.Next.Status)
	}
	t := func(v time.Time) any {
		if v.IsZero() {
			return nil
		}
		return isoTime(v)
	}
	return []any{r.Ref(), r.ProgramName, r.Title, string(r.State), string(r.PrevState), string(r.Source), string(r.Severity),
		r.CVSSVector, score, r.CVEID, r.CWE, r.Asset, r.Description, r.Steps, r.Impact, r.AlreadyPublic,
		r.Exploited, d.Assignee, d.DuplicateOf, r.CloseReason, t(d.DisclosureAt), d.DisclosureTZ, d.Credit,
		r.Reporter.Name, r.Reporter.Email, r.Reporter.PGPFingerprint, string(r.Reporter.Credit), t(r.CreatedAt),
		t(r.UpdatedAt), t(d.FirstResponse), t(d.TriagedAt), t(d.ResolvedAt), t(d.ClosedAt),
		next, kind, status, r.Version}
}

// csvCell writes one typed value as CSV text ("" for null).
func csvCell(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	case float64:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case int64:
		return strconv.FormatInt(v, 10)
	}
	return fmt.Sprint(v)
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
	// Keys in column order (a map would sort them), so "ref" comes first.
	var b strings.Builder
	if x.count == 0 {
		b.WriteString("[\n{")
	} else {
		b.WriteString(",\n{")
	}
	x.count++
	for i, v := range exportFields(e) {
		if err := writeJSONMember(&b, i > 0, exportColumns[i], v); err != nil {
			return err
		}
	}
	if err := writeJSONMember(&b, true, "timeline", exportTimeline(e.Timeline)); err != nil {
		return err
	}
	b.WriteString("}")
	_, err := io.WriteString(x.w, b.String())
	return err
}

func writeJSONMember(b *strings.Builder, comma bool, key string, v any) error {
	buf, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("db: encode %s: %w", key, err)
	}
	if comma {
		b.WriteByte(',')
	}
	b.WriteString(`"` + key + `":`)
	b.Write(buf)
	return nil
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
	var row []string
	for _, v := range exportFields(e) {
		row = append(row, csvSafe(csvCell(v)))
	}
	return x.w.Write(append(row, csvSafe(string(tl))))
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
