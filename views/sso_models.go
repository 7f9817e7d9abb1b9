package views

import (
	"net/url"
	"sort"
	"strings"

	"github.com/disclose/disclose/db"
)

// SSOButton is a "Sign in with <Name>" button of the sign-in page.
type SSOButton struct {
	ID   int64
	Name string
}

// AdminSSO is the admin page of the single sign-on providers: the list
// (never a client secret) and the form that adds one.
type AdminSSO struct {
	StaffPage
	Providers   []*db.SSOProvider
	Orgs        []*db.Organisation
	CallbackURL string
	Notice      string
	Errors      db.FieldErrors
	Values      map[string]string
}

func ssoRoles(p *db.SSOProvider) string {
	if p.RoleMode != db.SSOGroups {
		return "existing accounts only"
	}
	var parts []string
	for g, r := range p.GroupRoles {
		parts = append(parts, string(r)+":"+g)
	}
	sort.Strings(parts)
	return "groups claim " + p.GroupsClaim + ": " + strings.Join(parts, ", ")
}

func hintID(hint, name string) string {
	if hint == "" {
		return ""
	}
	return "h-" + name
}

func queryEscape(s string) string { return url.QueryEscape(s) }
