package views

import "github.com/disclose/disclose/db"

// TriageMetrics is a metrics page: /triage/metrics (what the user sees,
// with a choice of organisation) or /orgs/:org/metrics (one organisation).
type TriageMetrics struct {
	StaffPage
	Action     string // where the form sends its GET
	Back       string // link above the title
	BackLabel  string
	Heading    string // "Metrics" or "Metrics of <org>"
	Scopes     []MetricsScope
	Scope      string // the chosen scope's value
	ScopeLabel string // what the numbers cover, in words
	From, To   string // months as typed (YYYY-MM)
	Metrics    *db.Metrics
	Errors     db.FieldErrors
}

// MetricsScope is one choice of the organisation selector.
type MetricsScope struct {
	Value, Label string
}
