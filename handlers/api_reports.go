package handlers

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/labstack/echo/v4"
)

// The JSON of the API. Field names are part of the contract
// (openapi/v1.json): snake_case, never renamed within /api/v1/; absent
// values are null, never left out.

type apiQueueRow struct {
	Ref       string    `json:"ref"`
	Title     string    `json:"title"`
	Program   string    `json:"program"`
	State     db.State  `json:"state"`
	Severity  *string   `json:"severity"`
	Source    db.Source `json:"source"`
	Assignee  *string   `json:"assignee"`
	CreatedAt time.Time `json:"created_at"`
}

type apiQueue struct {
	Reports    []apiQueueRow    `json:"reports"`
	NextCursor *string          `json:"next_cursor"`
	Counts     map[string]int64 `json:"counts"`
}

// apiQueueParams are the query parameters of GET /api/v1/reports: the
// queue page's filter words (db.QueueParams) and the cursor. clock is
// scoped as on the page (scopeQueue): only incidents the token's rights
// reach under IncidentReader count.
var apiQueueParams = map[string]bool{"state": true, "program": true, "severity": true, "assignee": true, "source": true,
	"deadline": true, "clock": true, "q": true, "sort": true, "cursor": true}

// apiCursor is the opaque cursor of the queue: the page it continues at,
// bound to the filter it was made for, so a cursor cannot be replayed
// against another filter. It is a position, not a snapshot: reports that
// arrive meanwhile shift the pages of the newest-first order.
type apiCursor struct {
	Page   int    `json:"p"`
	Filter string `json:"f"`
}

func filterPrint(p db.QueueParams) string {
	p.Page = ""
	sum := sha256.Sum256([]byte(p.Query().Encode()))
	return base64.RawURLEncoding.EncodeToString(sum[:9])
}

func (cur apiCursor) String() string {
	buf, _ := json.Marshal(cur)
	return base64.RawURLEncoding.EncodeToString(buf)
}

// apiReports is the queue: the same filter words, parsing, program scope
// and query as the queue page (triageQueue), one page per cursor.
func (s *Server) apiReports(c echo.Context) error {
	ctx := c.Request().Context()
	u := staffUser(c)
	q := c.QueryParams()
	for k := range q {
		if !apiQueueParams[k] {
			return db.Invalid(db.FieldErrors{k: "This parameter is not known; see the OpenAPI document."})
		}
	}
	params := db.QueueParamsFrom(q)
	params.Page = ""
	if raw := q.Get("cursor"); raw != "" {
		var cur apiCursor
		buf, err := base64.RawURLEncoding.DecodeString(raw)
		if err != nil || json.Unmarshal(buf, &cur) != nil || cur.Page < 1 || cur.Filter != filterPrint(params) {
			return db.Invalid(db.FieldErrors{"cursor": "This cursor is not one of this filter's: start again without it."})
		}
		params.Page = strconv.Itoa(cur.Page)
	}
	f, err := s.store.ParseQueueParams(ctx, params, u.ID)
	if err != nil {
		return err
	}
	if !s.scopeQueue(u, &f) {
		return db.Invalid(db.FieldErrors{"program": "Choose a program from the list."})
	}
	queue, err := s.store.Queue(ctx, f)
	if err != nil {
		return err
	}
	out := apiQueue{Reports: []apiQueueRow{}, Counts: map[string]int64{}}
	for st, n := range queue.Counts {
		out.Counts[string(st)] = n
	}
	for _, r := range queue.Rows {
		out.Reports = append(out.Reports, apiQueueRow{Ref: r.Ref, Title: r.Title, Program: r.ProgramName, State: r.State,
			Severity: optional(string(r.Severity)), Source: r.Source, Assignee: optional(r.Assignee), CreatedAt: r.CreatedAt})
	}
	if queue.HasNext {
		next := apiCursor{Page: queue.Page + 1, Filter: filterPrint(params)}.String()
		out.NextCursor = &next
	}
	return c.JSON(http.StatusOK, out)
}

// optional is nil for "", so JSON says null.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func optionalTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

type apiAttachment struct {
	ID          int64  `json:"id"`
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
}

type apiEntry struct {
	ID          int64           `json:"id"`
	Kind        db.Kind         `json:"kind"`
	Public      bool            `json:"public"`
	Author      *string         `json:"author"`
	Source      *string         `json:"source"`
	Event       *string         `json:"event"`
	Body        string          `json:"body"`
	FromState   *string         `json:"from_state"`
	ToState     *string         `json:"to_state"`
	Unverified  bool            `json:"unverified"`
	CreatedAt   time.Time       `json:"created_at"`
	Attachments []apiAttachment `json:"attachments"`
}

type apiPerson struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

type apiReporter struct {
	Name           *string `json:"name"`
	Email          *string `json:"email"`
	Credit         string  `json:"credit"`
	PGPFingerprint *string `json:"pgp_fingerprint"`
}

type apiReport struct {
	Ref            string      `json:"ref"`
	Version        int64       `json:"version"`
	Program        string      `json:"program"`
	ProgramName    string      `json:"program_name"`
	Title          string      `json:"title"`
	State          db.State    `json:"state"`
	Source         db.Source   `json:"source"`
	Severity       *string     `json:"severity"`
	CVSSVector     *string     `json:"cvss_vector"`
	CVSSScore      *float64    `json:"cvss_score"`
	CWE            *string     `json:"cwe"`
	CVE            *string     `json:"cve"`
	Asset          *string     `json:"asset"`
	Description    string      `json:"description"`
	Steps          string      `json:"steps"`
	Impact         string      `json:"impact"`
	AlreadyPublic  bool        `json:"already_public"`
	Exploited      bool        `json:"exploited"`
	CloseReason    *string     `json:"close_reason"`
	DuplicateOf    *string     `json:"duplicate_of"`
	Assignee       *apiPerson  `json:"assignee"`
	DisclosureAt   *time.Time  `json:"disclosure_at"`
	DisclosureZone *string     `json:"disclosure_zone"`
	Credit         *string     `json:"credit"`
	Reporter       apiReporter `json:"reporter"`
	Sealed         bool        `json:"sealed"`
	Locked         bool        `json:"locked"`
	CreatedAt      time.Time   `json:"created_at"`
	UpdatedAt      time.Time   `json:"updated_at"`
	Timeline       []apiEntry  `json:"timeline"`
}

// etag is a report version as an entity tag.
func etag(version int64) string { return `"` + strconv.FormatInt(version, 10) + `"` }

// apiReport answers the report of the request with its whole timeline
// (internal notes included: staff only) and attachments' metadata.
func (s *Server) apiReport(c echo.Context) error {
	return s.writeAPIReport(c, http.StatusOK, reportOf(c))
}

func (s *Server) writeAPIReport(c echo.Context, status int, r *db.Report) error {
	ctx := c.Request().Context()
	d, err := s.store.Details(ctx, r.ID)
	if err != nil {
		return err
	}
	tl, err := s.store.Timeline(ctx, r.ID, false)
	if err != nil {
		return err
	}
	p, err := s.store.ProgramByID(ctx, r.ProgramID)
	if err != nil {
		return err
	}
	out := apiReport{Ref: r.Ref(), Version: r.Version, Program: p.Slug, ProgramName: r.ProgramName, Title: r.Title, State: r.State,
		Source: r.Source, Severity: optional(string(r.Severity)), CVSSVector: optional(r.CVSSVector), CWE: optional(r.CWE),
		CVE: optional(r.CVEID), Asset: optional(r.Asset), Description: r.Description, Steps: r.Steps, Impact: r.Impact,
		AlreadyPublic: r.AlreadyPublic, Exploited: r.Exploited, CloseReason: optional(r.CloseReason), DuplicateOf: optional(d.DuplicateOf),
		DisclosureAt: optionalTime(d.DisclosureAt), DisclosureZone: optional(d.DisclosureTZ), Credit: optional(d.Credit),
		Reporter: apiReporter{Name: optional(r.Reporter.Name), Email: optional(r.Reporter.Email), Credit: string(r.Reporter.Credit),
			PGPFingerprint: optional(r.Reporter.PGPFingerprint)},
		Sealed: r.Sealed, Locked: r.Locked, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, Timeline: []apiEntry{}}
	if out.Reporter.Credit == "" {
		out.Reporter.Credit = string(db.CreditAnonymous)
	}
	if r.CVSSVector != "" {
		score := r.CVSSScore
		out.CVSSScore = &score
	}
	if d.AssigneeID != 0 {
		out.Assignee = &apiPerson{ID: d.AssigneeID, Name: d.Assignee}
	}
	for _, m := range tl {
		e := apiEntry{ID: m.ID, Kind: m.Kind, Public: m.Public, Author: optional(m.AuthorName), Source: optional(string(m.Source)),
			Event: optional(m.Event), Body: m.Body, FromState: optional(string(m.FromState)), ToState: optional(string(m.ToState)),
			Unverified: m.Unverified, CreatedAt: m.CreatedAt, Attachments: []apiAttachment{}}
		for _, a := range m.Attachments {
			e.Attachments = append(e.Attachments, apiAttachment{ID: a.ID, Filename: a.Filename, ContentType: a.ContentType, Size: a.Size, SHA256: a.SHA256})
		}
		out.Timeline = append(out.Timeline, e)
	}
	c.Response().Header().Set("ETag", etag(r.Version))
	return c.JSON(status, out)
}

// apiAttachment sends an attachment of the report as the pages do: a
// download, never inline; one of another report is 404.
func (s *Server) apiAttachment(c echo.Context) error {
	return s.reportAttachment(c, reportOf(c).ID, false)
}

// reportLocation is where a report is read through the API.
func reportLocation(ref string) string { return "/api/v1/reports/" + url.PathEscape(ref) }
