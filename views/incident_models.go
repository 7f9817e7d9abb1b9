package views

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/disclose/disclose/db"
)

// IncidentList is the incidents page: every incident the user reaches,
// with its next deadline.
type IncidentList struct {
	StaffPage
	Rows []*db.IncidentRow
	// Orgs are the organisations the user may open an incident in.
	Orgs []*db.Organisation
	Now  time.Time
	// Clock filters the list by the state of its next deadline: "due"
	// (overdue or due within 6 hours), "overdue", "soon"; "" lists all.
	Clock string
}

// IncidentNew is the form that opens an incident, from reports or alone.
type IncidentNew struct {
	StaffPage
	Org     *db.Organisation
	Presets []*db.Preset
	// Suggested are presets the reports point to, with why; ticked but
	// never assumed: the person opening the incident decides.
	Suggested map[string]string
	Chosen    map[string]bool
	Values    map[string]string
	Errors    db.FieldErrors
	Zone      string
}

// IncidentPage is one incident: its fields, reports, clocks and timeline.
type IncidentPage struct {
	StaffPage
	Incident    *db.Incident
	Reports     []db.LinkedReport
	Timeline    []db.IncidentEvent
	Obligations []*db.Obligation
	PresetNames []string
	Suggested   map[string]string
	Owners      []*db.User
	Next        []db.IncidentStatus
	CanWrite    bool
	Loc         *time.Location
	Now         time.Time
	// Form names the form Values and Errors belong to after a refused
	// action (for an obligation: "obligation-ID").
	Form     string
	Values   map[string]string
	Errors   db.FieldErrors
	Notice   string
	Conflict string
}

// V is a value of the form that was sent, or def when another form was.
func (m IncidentPage) V(form, name, def string) string {
	if m.Form == form {
		return m.Values[name]
	}
	return def
}

// E is the errors of the form that was sent.
func (m IncidentPage) E(form string) db.FieldErrors {
	if m.Form == form {
		return m.Errors
	}
	return db.FieldErrors{}
}

// IncidentPresets is an organisation's page of notification presets.
type IncidentPresets struct {
	StaffPage
	Org      *db.Organisation
	Presets  []*db.Preset
	Zone     string
	CanEdit  bool
	Values   map[string]string
	Errors   db.FieldErrors
	Notice   string
	Contract *db.Preset // the contractual stage as it applies now
}

// DueIn says a deadline for people: both the organisation's zone and UTC.
func DueIn(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	if loc == nil || loc == time.UTC {
		return t.UTC().Format("2006-01-02 15:04 UTC")
	}
	return t.In(loc).Format("2006-01-02 15:04 MST") + " (" + t.UTC().Format("15:04 UTC") + ")"
}

// ClockState is how an obligation's clock stands at now: "sent",
// "not-required", "overdue", "soon" (under 6 hours), "running", "asap" (no
// fixed deadline) or "waiting" (its anchor has not happened).
func ClockState(o *db.Obligation, now time.Time, awareness bool) string {
	switch {
	case o.State == "sent":
		return "sent"
	case o.State == "not_required":
		return "not-required"
	case !o.DueAt.IsZero() && now.After(o.DueAt):
		return "overdue"
	case !o.DueAt.IsZero() && o.DueAt.Sub(now) < db.IncidentDueSoon:
		return "soon"
	case !o.DueAt.IsZero():
		return "running"
	case o.DueAmount == 0 && o.Anchor == "awareness" && awareness:
		return "asap"
	}
	return "waiting"
}

// ClockText is the clock of an obligation in words.
func ClockText(o *db.Obligation, now time.Time, awareness bool) string {
	switch ClockState(o, now, awareness) {
	case "sent":
		return "sent " + When(o.SentAt)
	case "not-required":
		return "not required"
	case "overdue":
		return "overdue by " + span(now.Sub(o.DueAt))
	case "soon", "running":
		return span(o.DueAt.Sub(now)) + " left"
	case "asap":
		return "without undue delay"
	}
	switch {
	case o.Anchor == "awareness":
		return "starts when awareness is recorded"
	case o.Anchor == "corrective":
		return "starts when a corrective measure is available"
	}
	return "starts when the " + strings.TrimPrefix(o.Anchor, "sent:") + " is sent"
}

// span is a duration in days, hours and minutes.
func span(d time.Duration) string {
	d = d.Round(time.Minute)
	days, h, m := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case days > 0:
		return fmt.Sprintf("%dd %dh", days, h)
	case h > 0:
		return fmt.Sprintf("%dh %02dm", h, m)
	}
	return fmt.Sprintf("%dm", m)
}

// RowClock is the list's clock of an incident.
func RowClock(r *db.IncidentRow, now time.Time) (state, text string) {
	switch {
	case r.Status == db.IncidentClosed:
		return "closed", "closed"
	case r.AwareAt.IsZero():
		return "waiting", "awareness not recorded"
	case r.NextDue.IsZero() && r.Pending > 0:
		return "asap", fmt.Sprintf("%d pending, no fixed deadline", r.Pending)
	case r.NextDue.IsZero():
		return "none", "no pending notification"
	case now.After(r.NextDue):
		return "overdue", "overdue by " + span(now.Sub(r.NextDue))
	case r.NextDue.Sub(now) < db.IncidentDueSoon:
		return "soon", span(r.NextDue.Sub(now)) + " left"
	}
	return "running", span(r.NextDue.Sub(now)) + " left"
}

// QueueClock is the queue's incident clock of a report in words: "overdue",
// "soon" (under db.IncidentDueSoon) or "running", as the incidents list says.
func QueueClock(c *db.IncidentClock, now time.Time) (state, text string) {
	switch {
	case now.After(c.DueAt):
		return "overdue", "overdue by " + span(now.Sub(c.DueAt))
	case c.DueAt.Sub(now) < db.IncidentDueSoon:
		return "soon", span(c.DueAt.Sub(now)) + " left"
	}
	return "running", span(c.DueAt.Sub(now)) + " left"
}

// LocalInput is t as a datetime-local input's value in loc.
func LocalInput(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format("2006-01-02T15:04")
}

// ChecklistItem is one question of the response checklist.
type ChecklistItem struct{ Name, Label, Value string }

// ChecklistItems lists the checklist's questions with their answers.
func ChecklistItems(c db.Checklist) []ChecklistItem {
	return []ChecklistItem{{"scope", "Scope", c.Scope}, {"systems", "Affected systems", c.Systems},
		{"data_categories", "Data categories", c.DataCategories}, {"containment", "Containment steps", c.Containment},
		{"recovery", "Recovery needs", c.Recovery}, {"evidence", "Evidence preserved", c.Evidence},
		{"root_cause", "Root cause", c.RootCause}, {"remediation", "Remediation", c.Remediation},
		{"lessons", "Lessons learned", c.Lessons}}
}

func personalDataText(i *db.Incident) string {
	s := map[string]string{"yes": "yes", "no": "no"}[i.PersonalData]
	if s == "" {
		s = "not known yet"
	}
	if i.PeopleKnown {
		s += fmt.Sprintf(", %d people affected", i.PeopleAffected)
	}
	return s
}

func peopleValue(i *db.Incident) string {
	if !i.PeopleKnown {
		return ""
	}
	return fmt.Sprint(i.PeopleAffected)
}

// sortedSuggestions are the suggestions as (preset, why) pairs in preset order.
func sortedSuggestions(s map[string]string) [][2]string {
	keys := make([]string, 0, len(s))
	for k := range s {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([][2]string, len(keys))
	for i, k := range keys {
		out[i] = [2]string{k, s[k]}
	}
	return out
}
