package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/labstack/echo/v4"
)

// maxAPIBody bounds a JSON body of the API: the longest text a report
// field may hold (db.Limits.MaxTextRunes, four bytes each) with room for
// the rest. Files do not travel in JSON.
const maxAPIBody = 1 << 20

// readJSON decodes the request's JSON body into dst: application/json
// only (415 otherwise), one object, no unknown field (a typo must not be
// ignored silently), at most maxAPIBody bytes (413).
func readJSON(c echo.Context, dst any) error {
	mt, _, err := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType))
	if err != nil || mt != echo.MIMEApplicationJSON {
		return echo.NewHTTPError(http.StatusUnsupportedMediaType, "Send the body as application/json.")
	}
	body := http.MaxBytesReader(c.Response(), c.Request().Body, maxAPIBody)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return echo.NewHTTPError(http.StatusRequestEntityTooLarge, "The body is larger than the API accepts (1 MiB).")
		}
		return echo.NewHTTPError(http.StatusBadRequest, "The body is not the JSON this operation takes: "+jsonProblem(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return echo.NewHTTPError(http.StatusBadRequest, "The body must hold one JSON object and nothing after it.")
	}
	return nil
}

// jsonProblem says what was wrong with a body without echoing its text.
func jsonProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return "a syntax error at byte " + strconv.FormatInt(syn.Offset, 10) + "."
	case errors.As(err, &typ):
		return "field " + strconv.Quote(typ.Field) + " has the wrong type."
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field ") + "."
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "it is empty or cut short."
	}
	return "it cannot be read."
}

// ifMatch is the version an If-Match header names: one strong or weak
// entity tag of a version; ok is false without the header. A header that
// names no version of ours matches nothing (-1).
func ifMatch(c echo.Context) (version int64, ok bool) {
	h := strings.TrimSpace(c.Request().Header.Get("If-Match"))
	if h == "" {
		return 0, false
	}
	h = strings.TrimPrefix(h, "W/")
	if len(h) < 3 || h[0] != '"' || h[len(h)-1] != '"' {
		return -1, true
	}
	v, err := strconv.ParseInt(h[1:len(h)-1], 10, 64)
	if err != nil || v < 1 {
		return -1, true
	}
	return v, true
}

// apiChange runs one change of the request's report under optimistic
// concurrency: the version comes from If-Match (a stale one: 412) or from
// the body's "version" (a stale one: 409, as on the pages); neither is 428.
// It answers the report as it is afterwards, with its new ETag.
func (s *Server) apiChange(c echo.Context, name string, bodyVersion *int64, do func(r *db.Report, version int64) error) error {
	r := reportOf(c)
	version, fromHeader := ifMatch(c)
	if strings.TrimSpace(c.Request().Header.Get("If-Match")) == "*" {
		version = r.Version // RFC 9110: "*" matches any current version
	}
	switch {
	case fromHeader && version != r.Version:
		return errPreconditionFailed
	case !fromHeader && bodyVersion == nil:
		return errPreconditionRequired
	case !fromHeader:
		version = *bodyVersion
	}
	err := do(r, version)
	if db.ErrorCode(err) == db.ECONFLICT && fromHeader {
		if fresh, ferr := s.store.ReportByID(c.Request().Context(), r.ID); ferr == nil && fresh.Version != version {
			return errPreconditionFailed // changed between the check above and the write
		}
	}
	if err != nil {
		return err
	}
	s.log.Info("report action", "action", name, "user_id", staffUser(c).ID, "token_id", apiTokenOf(c).ID)
	fresh, err := s.store.ReportByID(c.Request().Context(), r.ID)
	if err != nil {
		return err
	}
	return s.writeAPIReport(c, http.StatusOK, fresh)
}

type apiStateIn struct {
	Version     *int64 `json:"version"`
	To          string `json:"to"`
	Reason      string `json:"reason"`
	DuplicateOf string `json:"duplicate_of"`
}

func (s *Server) apiState(c echo.Context) error {
	var in apiStateIn
	if err := readJSON(c, &in); err != nil {
		return err
	}
	return s.apiChange(c, "state", in.Version, func(r *db.Report, version int64) error {
		return s.store.ChangeState(c.Request().Context(), r.ID, version, apiActor(c),
			db.StateChange{To: db.State(in.To), Reason: in.Reason, DuplicateOf: in.DuplicateOf})
	})
}

type apiAssignIn struct {
	Version  *int64 `json:"version"`
	Assignee *int64 `json:"assignee"` // null: unassign
}

func (s *Server) apiAssign(c echo.Context) error {
	var in apiAssignIn
	if err := readJSON(c, &in); err != nil {
		return err
	}
	var id int64
	if in.Assignee != nil {
		if id = *in.Assignee; id <= 0 {
			return db.Invalid(db.FieldErrors{"assignee": "Choose a triager of this program or an admin."})
		}
	}
	return s.apiChange(c, "assign", in.Version, func(r *db.Report, version int64) error {
		return s.store.Assign(c.Request().Context(), r.ID, version, apiActor(c), id)
	})
}

// apiClassifyIn is a partial change of the classification: a field left
// out keeps its value, "" clears it.
type apiClassifyIn struct {
	Version        *int64  `json:"version"`
	Asset          *string `json:"asset"`
	CWE            *string `json:"cwe"`
	CVSS           *string `json:"cvss"`
	CVE            *string `json:"cve"`
	DisclosureDate *string `json:"disclosure_date"`
	DisclosureTime *string `json:"disclosure_time"`
	DisclosureZone *string `json:"disclosure_zone"`
	Credit         *string `json:"credit"`
}

func (s *Server) apiClassify(c echo.Context) error {
	var in apiClassifyIn
	if err := readJSON(c, &in); err != nil {
		return err
	}
	return s.apiChange(c, "fields", in.Version, func(r *db.Report, version int64) error {
		d, err := s.store.Details(c.Request().Context(), r.ID)
		if err != nil {
			return err
		}
		edit := db.FieldEdit{Asset: r.Asset, CWE: r.CWE, CVSSVector: r.CVSSVector, CVEID: r.CVEID, Credit: d.Credit, DisclosureZone: d.DisclosureTZ}
		if !d.DisclosureAt.IsZero() {
			at := d.DisclosureAt
			if loc, err := time.LoadLocation(d.DisclosureTZ); err == nil {
				at = at.In(loc)
			}
			edit.DisclosureDate, edit.DisclosureTime = at.Format("2006-01-02"), at.Format("15:04")
		}
		for _, f := range []struct {
			in  *string
			out *string
		}{{in.Asset, &edit.Asset}, {in.CWE, &edit.CWE}, {in.CVSS, &edit.CVSSVector}, {in.CVE, &edit.CVEID},
			{in.DisclosureDate, &edit.DisclosureDate}, {in.DisclosureTime, &edit.DisclosureTime},
			{in.DisclosureZone, &edit.DisclosureZone}, {in.Credit, &edit.Credit}} {
			if f.in != nil {
				*f.out = *f.in
			}
		}
		return s.store.EditFields(c.Request().Context(), r.ID, version, apiActor(c), edit)
	})
}

type apiTextIn struct {
	Version *int64 `json:"version"`
	Body    string `json:"body"`
}

// apiReply sends a public reply to the reporter (mailed as the page's
// reply is); apiNote adds an internal note. Files are not taken here.
func (s *Server) apiReply(c echo.Context) error { return s.apiText(c, "reply", s.store.Reply) }
func (s *Server) apiNote(c echo.Context) error  { return s.apiText(c, "note", s.store.AddNote) }

type textAction func(ctx context.Context, reportID, version int64, actor db.Actor, body string, files []db.NewAttachment, lim db.Limits) error

func (s *Server) apiText(c echo.Context, name string, do textAction) error {
	var in apiTextIn
	if err := readJSON(c, &in); err != nil {
		return err
	}
	return s.apiChange(c, name, in.Version, func(r *db.Report, version int64) error {
		return do(c.Request().Context(), r.ID, version, apiActor(c), in.Body, nil, s.cfg.Limits)
	})
}

type apiNewReport struct {
	Program       string `json:"program"`
	Title         string `json:"title"`
	Description   string `json:"description"`
	Steps         string `json:"steps"`
	Impact        string `json:"impact"`
	Asset         string `json:"asset"`
	CWE           string `json:"cwe"`
	CVSS          string `json:"cvss"`
	Source        string `json:"source"`
	AlreadyPublic bool   `json:"already_public"`
	Exploited     bool   `json:"exploited"`
	Reporter      struct {
		Name   string `json:"name"`
		Email  string `json:"email"`
		Credit string `json:"credit"`
	} `json:"reporter"`
}

type apiCreated struct {
	Ref         string `json:"ref"`
	ReceiptCode string `json:"receipt_code"`
}

// apiCreateReport stores a report staff enter for a reporter who used
// another channel, in a program the token may change; the receipt code is
// answered once, for staff to pass on.
func (s *Server) apiCreateReport(c echo.Context) error {
	var in apiNewReport
	if err := readJSON(c, &in); err != nil {
		return err
	}
	u := staffUser(c)
	ctx := c.Request().Context()
	p, err := s.store.ProgramBySlug(ctx, strings.TrimSpace(in.Program))
	if db.ErrorCode(err) == db.ENOTFOUND || err == nil && !u.MayWrite(p.ID) {
		return db.Invalid(db.FieldErrors{"program": "Choose a program you may change reports of."})
	} else if err != nil {
		return err
	}
	source := db.Source(in.Source)
	switch source {
	case "":
		source = db.SourceEmail
	case db.SourceWeb, db.SourceEmail:
	default:
		return db.Invalid(db.FieldErrors{"source": "Choose web or email."})
	}
	rc, err := s.store.CreateReportAs(ctx, &db.NewReport{ProgramID: p.ID, Source: source, Title: in.Title, Description: in.Description,
		Steps: in.Steps, Impact: in.Impact, Asset: in.Asset, CWE: in.CWE, CVSSVector: in.CVSS, AlreadyPublic: in.AlreadyPublic,
		Exploited: in.Exploited, Reporter: db.Reporter{Name: in.Reporter.Name, Email: in.Reporter.Email, Credit: db.Credit(in.Reporter.Credit)}},
		s.cfg.Limits, apiActor(c))
	if err != nil {
		return err
	}
	s.log.Info("report created through the API", "user_id", u.ID, "token_id", apiTokenOf(c).ID)
	c.Response().Header().Set("Location", reportLocation(rc.Ref))
	return c.JSON(http.StatusCreated, apiCreated{Ref: rc.Ref, ReceiptCode: rc.Code})
}
