package views

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/disclose/disclose/db"
)

// TriageQueue is the queue page: the filter as typed, one page of reports
// and the counts per state.
type TriageQueue struct {
	StaffPage
	Params   db.QueueParams
	Queue    *db.Queue
	Programs []*db.Program // the programs the user can see
	Staff    []*db.User    // who reports can be assigned to, for the assignee filter
	Errors   db.FieldErrors
	CanWrite bool // exports are for triagers and admins
	Now      time.Time
	// SealedIndex is shown to admins while the search index of sealed
	// reports is being built (nil otherwise).
	SealedIndex *db.SealedIndexStatus
	// Incidents: the user reaches some organisation's incidents, so the
	// queue has their clocks' column and filter.
	Incidents bool
}

// With returns the queue URL with one field changed (and the page reset),
// so that tabs, sort links and the pager keep the rest of the filter.
func (q TriageQueue) With(field, value string) string {
	v := q.Params.Query()
	v.Del("page")
	if value == "" {
		v.Del(field)
	} else {
		v.Set(field, value)
	}
	return "/triage?" + v.Encode()
}

// PageURL is the queue URL of page n of the same filter.
func (q TriageQueue) PageURL(n int) string {
	v := q.Params.Query()
	v.Set("page", strconv.Itoa(n))
	return "/triage?" + v.Encode()
}

// ExportURL is the export of the current filter in a format.
func (q TriageQueue) ExportURL(format string) string {
	v := q.Params.Query()
	v.Del("page")
	return "/triage/export." + format + "?" + v.Encode()
}

// StateIs says whether the state filter is s ("open" when empty).
func (q TriageQueue) StateIs(s string) bool {
	if q.Params.State == "" {
		return s == "open"
	}
	return q.Params.State == s
}

// TriageReport is the staff page of one report with its action forms.
type TriageReport struct {
	StaffPage
	Report   *db.Report
	Details  *db.ReportDetails
	Timeline []*db.Message
	RawMail  map[int64]int64 // timeline entries that came by mail → their raw message
	Mails    []*db.Mail      // mail about the report and its delivery status
	// KeyCandidates are public keys that came with the report's mail.
	KeyCandidates []*db.KeyCandidate
	Deadlines     []db.Deadline
	Similar       []*db.SimilarReport
	Assignees     []*db.User
	CanWrite      bool
	Next          []db.State // the states the report may move to
	Limits        db.Limits
	// Form names the form Values and Errors belong to after a refused
	// action; the other forms show the report's current values.
	Form     string
	Values   map[string]string
	Errors   db.FieldErrors
	Notice   string // what the last action did
	Conflict string // a stale form was refused
	NowAt    time.Time
	// Incidents are the incidents the report is evidence of; CanEscalate
	// says the user may open one in the report's organisation.
	Incidents   []db.IncidentLink
	CanEscalate bool
}

// V is a value of the form that was sent, or def when another form was.
func (m TriageReport) V(form, name, def string) string {
	if m.Form == form {
		return m.Values[name]
	}
	return def
}

// E is an error of the form that was sent.
func (m TriageReport) E(form string) db.FieldErrors {
	if m.Form == form {
		return m.Errors
	}
	return db.FieldErrors{}
}

// Action is the URL of an action on this report.
func (m TriageReport) Action(name string) string {
	return "/triage/reports/" + url.PathEscape(m.Report.Ref()) + "/" + name
}

// DisclosureDate, DisclosureTime and DisclosureZone fill the disclosure
// fields in the report's own time zone.
func (m TriageReport) DisclosureDate() string {
	if m.Details.DisclosureAt.IsZero() {
		return ""
	}
	return m.Details.DisclosureAt.In(zone(m.Details.DisclosureTZ)).Format("2006-01-02")
}

// DisclosureTime is the time of day of the disclosure.
func (m TriageReport) DisclosureTime() string {
	if m.Details.DisclosureAt.IsZero() {
		return ""
	}
	return m.Details.DisclosureAt.In(zone(m.Details.DisclosureTZ)).Format("15:04")
}

// DisclosureText is the disclosure date as people read it.
func (m TriageReport) DisclosureText() string {
	if m.Details.DisclosureAt.IsZero() {
		return "not set"
	}
	return m.Details.DisclosureAt.In(zone(m.Details.DisclosureTZ)).Format("Mon 2 January 2006 15:04") + " " + m.Details.DisclosureTZ
}

func zone(name string) *time.Location {
	if loc, err := time.LoadLocation(name); err == nil && name != "" {
		return loc
	}
	return time.UTC
}

// Age is how long ago t was, short: "5 m", "3 h", "12 d".
func Age(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Hour:
		return fmt.Sprintf("%d m", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h", int(d.Hours()))
	}
	return fmt.Sprintf("%d d", int(d.Hours()/24))
}

// Until says how far a deadline is: "in 3 d" or "5 d late".
func Until(now, t time.Time) string {
	if t.Before(now) {
		return Age(now, t) + " late"
	}
	return "in " + Age(t, now)
}

// severityLabel shows an empty severity as "unrated".
func severityLabel(s db.Severity) string {
	if s == "" {
		return "unrated"
	}
	return string(s)
}

// entryKindLabel names a timeline entry for staff.
func entryKindLabel(e *db.Message) string {
	switch e.Kind {
	case db.KindInbound:
		if e.Event == "submitted" {
			return "Report received (" + string(e.Source) + ")"
		}
		return "Reporter wrote (" + string(e.Source) + ")"
	case db.KindReply:
		return "Public reply by " + orSystem(e.AuthorName)
	case db.KindNote:
		return "Internal note by " + orSystem(e.AuthorName)
	}
	if e.Event == "state" {
		return "State change by " + orSystem(e.AuthorName)
	}
	if strings.HasPrefix(e.Event, "mail.") {
		return "Mail intake"
	}
	return "Edit by " + orSystem(e.AuthorName)
}

func orSystem(name string) string {
	if name == "" {
		return "the system"
	}
	return name
}

func i64s(n int64) string { return strconv.FormatInt(n, 10) }
