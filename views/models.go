// Package views renders every page with templ. Components take per-page view
// models; they never query anything themselves. They import db for its
// types only.
//
// The words for stored values (state names, deadline clocks, OpenPGP
// labels, sizes) and for db's keyed messages are in the sub-package
// views/wording, which has no templ and which mailin's mails share; every
// field error a form shows passes through wording.Say (fieldErr,
// orderedErrors). Component tests render a view model and read the HTML
// as a user would: accessible names, labels, descriptions and data-testid
// (page_test.go).
package views

import (
	"github.com/disclose/disclose/db"
)

// Page is what every page's layout needs.
type Page struct {
	Title         string
	CSRF          string // the form token; empty on pages without forms
	SecurityEmail string
	KeyURL        string // the team's public key, when one exists
	Fingerprint   string // the team key's fingerprint
	// PolicyURL links the policy of the program being viewed.
	PolicyURL string
}

// Landing is the front page.
type Landing struct {
	Page
	Programs []*db.Program
}

// Policy shows one program's disclosure policy.
type Policy struct {
	Page
	Program  *db.Program
	Programs []*db.Program
}

// ReportForm is the submission form with what was typed and what was wrong.
type ReportForm struct {
	Page
	Programs []*db.Program
	Program  *db.Program // the chosen one; its scope fills the asset list
	Values   map[string]string
	Errors   db.FieldErrors
	Limits   db.Limits
	MaxBody  int64
	// FilesDropped says the form came back with files chosen: browsers
	// cannot refill a file input, so the page asks to choose them again.
	FilesDropped bool
	Key          string // one-time submission key
}

// V returns a typed value.
func (f *ReportForm) V(name string) string { return f.Values[name] }

// Receipt is shown once, after the report committed.
type Receipt struct {
	Page
	Ref     string
	Code    string
	Email   bool // the reporter left an email address
	Already bool // the same form was sent again; the code is not shown again
}

// StatusLogin asks for a receipt code.
type StatusLogin struct {
	Page
	Error string
}

// Status is the reporter's view of their report.
type Status struct {
	Page
	Report   *db.Report
	Timeline []*db.Message
	Body     string
	Errors   db.FieldErrors
	Sent     bool
	Limits   db.Limits
	// Credits are proposed to the reporter by advisories about the report.
	Credits     []db.ReportCredit
	CreditSaved bool
}

// ErrorPage explains a failed request.
type ErrorPage struct {
	Page
	Status  int
	Message string
}
