package handlers

import "github.com/disclose/disclose/db"

// incidentScope is whose incident clocks u's queue shows: the incidents u
// reaches under IncidentReader (a role in the organisation or its parent;
// every one for a site admin). A member of a program only sees the
// program's reports in the queue but not the organisation's incidents, so
// not their clocks either.
func incidentScope(u *db.User) db.IncidentScope {
	if u.Disabled {
		return db.IncidentScope{}
	}
	if u.IsSiteAdmin() {
		return db.IncidentScope{All: true}
	}
	var s db.IncidentScope
	for _, m := range u.Orgs {
		if m.Role != "" {
			s.Orgs = append(s.Orgs, m.OrgID)
		}
	}
	return s
}
