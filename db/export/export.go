// Package export writes reports as JSON or CSV for triagers and operators
// who take them elsewhere (the dashboard's export, `disclose export`). It
// formats plain data: db reads the reports (db.ExportReports, which calls
// Write for each), this package decides what a row looks like, and defuses
// spreadsheet formulas in attacker-written text.
package export

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/disclose/disclose/db"
)

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
func exportFields(e *db.ExportedReport) []any {
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

func exportTimeline(tl []*db.Message) []exportMessage {
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

// JSON writes reports as one JSON array, one report per line.
type JSON struct {
	w     io.Writer
	count int
}

// NewJSON starts a JSON export on w.
func NewJSON(w io.Writer) *JSON { return &JSON{w: w} }

// Write adds one report.
func (x *JSON) Write(e *db.ExportedReport) error {
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
		return fmt.Errorf("export: encode %s: %w", key, err)
	}
	if comma {
		b.WriteByte(',')
	}
	b.WriteString(`"` + key + `":`)
	b.Write(buf)
	return nil
}

// Close ends the array.
func (x *JSON) Close() error {
	end := "\n]\n"
	if x.count == 0 {
		end = "[]\n"
	}
	_, err := io.WriteString(x.w, end)
	return err
}

// CSV writes one row per report; the timeline is a JSON column.
type CSV struct{ w *csv.Writer }

// NewCSV starts a CSV export on w with its header row.
func NewCSV(w io.Writer) (*CSV, error) {
	x := &CSV{w: csv.NewWriter(w)}
	return x, x.w.Write(append(append([]string(nil), exportColumns...), "timeline"))
}

// Write adds one report.
func (x *CSV) Write(e *db.ExportedReport) error {
	tl, err := json.Marshal(exportTimeline(e.Timeline))
	if err != nil {
		return fmt.Errorf("export: encode timeline: %w", err)
	}
	var row []string
	for _, v := range exportFields(e) {
		row = append(row, csvSafe(csvCell(v)))
	}
	return x.w.Write(append(row, csvSafe(string(tl))))
}

// Close flushes the rows.
func (x *CSV) Close() error {
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
