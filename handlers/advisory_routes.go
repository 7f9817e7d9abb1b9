package handlers

// advisoryRoutes are the advisories: drafted, reviewed and published by an
// organisation's staff (OrgReader reads drafts, OrgWriter changes them; the
// second person's approval is checked by db), and the public pages of the
// request host's organisation, which show published advisories only.
func (s *Server) advisoryRoutes() []route {
	return append(s.csafRoutes(), []route{
		{get, "/triage/advisories", Staff, s.advisoryOrgs, nil},
		{get, "/orgs/:org/advisories", OrgReader, s.orgAdvisories, nil},
		{get, "/orgs/:org/advisories/new", OrgWriter, s.newAdvisory, nil},
		{post, "/orgs/:org/advisories", OrgWriter, s.createAdvisory, nil},
		{get, "/orgs/:org/advisories/:id", OrgReader, s.advisoryPage, nil}, // :id is an advisory of :org
		{post, "/orgs/:org/advisories/:id", OrgWriter, s.saveAdvisory, nil},
		{post, "/orgs/:org/advisories/:id/submit", OrgWriter, s.advisoryStep("submit"), nil},
		{post, "/orgs/:org/advisories/:id/return", OrgWriter, s.advisoryStep("return"), nil},
		{post, "/orgs/:org/advisories/:id/approve", OrgWriter, s.advisoryStep("approve"), nil},
		{post, "/orgs/:org/advisories/:id/withdraw", OrgWriter, s.advisoryStep("withdraw"), nil},
		{get, "/orgs/:org/advisories/:id/csaf.json", OrgReader, s.advisoryExport("csaf"), nil}, // drafts too: the dashboard's exports
		{get, "/orgs/:org/advisories/:id/osv.json", OrgReader, s.advisoryExport("osv"), nil},
		{get, "/advisories", Public, s.publicAdvisories, nil},
		{get, "/advisories.atom", Public, s.advisoryFeed, nil},
		{get, "/advisories/:id", Public, s.publicAdvisory, nil},
		{get, "/advisories/:id/osv.json", Public, s.publicOSV, nil},
		{get, "/acknowledgements", Public, s.acknowledgements, nil},
		{post, "/status/credit", Reporter, s.statusCredit, nil}, // a credit proposed for the session's report only
	}...)
}
