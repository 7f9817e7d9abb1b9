package views

import (
	"maps"
	"slices"
	"strconv"

	"github.com/disclose/disclose/db"
)

// Setup is the page of a one-time link: first admin, invited user or reset.
type Setup struct {
	Page
	Token  string
	Info   *db.TokenInfo
	Values map[string]string
	Errors db.FieldErrors
}

// TwoFactor is the user's own second-factor page.
type TwoFactor struct {
	StaffPage
	Enabled   bool
	Secret    string // while enrolling
	URL       string // otpauth URI while enrolling
	CodesLeft int
	Codes     []string // recovery codes, shown once right after enabling
	Error     string
	Required  bool
	// NeedReauth hides the secret and the replace form until the password
	// was typed in the last ReauthMinutes (views.ReauthView).
	NeedReauth    bool
	ReauthMinutes int
}

// AdminUsers lists staff accounts and holds the invite form.
type AdminUsers struct {
	StaffPage
	Users    []*db.User
	Programs []*db.Program
	Values   map[string]string
	Chosen   []int64
	Errors   db.FieldErrors
	// LinkFor is who a setup link was just mailed to (LinkKind "setup");
	// the link itself is never shown.
	Link     string
	LinkFor  string
	LinkKind string
	Notice   string
}

// AdminUser is the edit page of one account.
type AdminUser struct {
	StaffPage
	Account  *db.User
	Programs []*db.Program
	Errors   db.FieldErrors
	Notice   string
	Link     string // the kind of one-time link just mailed ("password reset", "setup"); never the link
}

// AdminPrograms lists the programs.
type AdminPrograms struct {
	StaffPage
	Programs []*db.Program
}

// AdminProgram is the create/edit form of a program.
type AdminProgram struct {
	StaffPage
	Program *db.Program
	Users   []*db.User
	Members []int64
	Errors  db.FieldErrors
	Notice  string
}

// AdminAudit is one page of the audit log with its filter.
type AdminAudit struct {
	StaffPage
	// Path is the page's address; Org, when set, is the organisation whose
	// rows it lists (its admins' page, without the operator's navigation).
	Path    string
	Org     *db.Organisation
	Entries []*db.AuditEntry
	Filter  map[string]string
	NextURL string
	Error   string
}

// AdminSettings holds the portal-wide switches.
type AdminSettings struct {
	StaffPage
	Require2FA bool
	Notice     string
}

// deadlineErrorsNamed puts each deadline field's label before its error,
// for the summary: the seven fields are all refused with the same words,
// and identical links would not say which field each one jumps to.
func deadlineErrorsNamed(p *db.Program, errs db.FieldErrors) db.FieldErrors {
	out := maps.Clone(errs)
	for _, d := range p.DeadlineFields() {
		if msg, ok := errs[d.Name]; ok {
			out[d.Name] = d.Label + ": " + msg
		}
	}
	return out
}

// ProgramNames names the programs of ids, for lists.
func ProgramNames(ps []*db.Program, ids []int64) string {
	out := ""
	for _, p := range ps {
		if slices.Contains(ids, p.ID) {
			if out != "" {
				out += ", "
			}
			out += p.Name
		}
	}
	if out == "" {
		return "—"
	}
	return out
}

func itoa(n int) string              { return strconv.Itoa(n) }
func i64(n int64) string             { return strconv.FormatInt(n, 10) }
func has(ids []int64, id int64) bool { return slices.Contains(ids, id) }
