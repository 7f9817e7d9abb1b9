package handlers

// apiRoutes are the JSON API (/api/v1/), described by the OpenAPI document
// it serves (openapi/v1.json). Its rows take personal access tokens only
// (the API* rules, api_access.go); what a token reaches is its user's
// rights cut to its scope and organisation limit, checked by the same
// rules as the pages (requireReport, requireRole), so a report another
// program's staff cannot open in a browser is 404 through the API too.
func (s *Server) apiRoutes() []route {
	return []route{
		{get, "/api/v1/openapi.json", Public, s.apiSpec, nil}, // the contract: no secret in it
		{get, "/api/v1/reports", APIToken, s.apiReports, nil},
		{post, "/api/v1/reports", APIWriter, s.apiCreateReport, nil},
		{get, "/api/v1/reports/:ref", APIReportReader, s.apiReport, nil},
		{post, "/api/v1/reports/:ref/state", APIReportWriter, s.apiState, nil},
		{post, "/api/v1/reports/:ref/assignee", APIReportWriter, s.apiAssign, nil},
		{post, "/api/v1/reports/:ref/classification", APIReportWriter, s.apiClassify, nil},
		{post, "/api/v1/reports/:ref/replies", APIReportWriter, s.apiReply, nil},
		{post, "/api/v1/reports/:ref/notes", APIReportWriter, s.apiNote, nil},
		{get, "/api/v1/reports/:ref/attachments/:id", APIReportReader, s.apiAttachment, nil}, // :id is an attachment of :ref
		{get, "/api/v1/organisations", APIToken, s.apiOrgs, nil},
		{get, "/api/v1/programs", APIToken, s.apiPrograms, nil},
		{get, "/api/v1/incidents", APIToken, s.apiIncidents, nil}, // the organisations the token's rights have a role in
		{get, "/api/v1/incidents/:inc", APIIncidentReader, s.apiIncident, nil},
		{get, "/api/v1/advisories", APIToken, s.apiAdvisories, nil}, // the organisations the token's rights have a role in
		{get, "/api/v1/advisories/:id", APIAdvisoryReader, s.apiAdvisory, nil},
		{get, "/api/v1/audit", APIAdmin, s.apiAudit, nil},
		{unknown, "/api/*", APIToken, notFound, nil},
	}
}
