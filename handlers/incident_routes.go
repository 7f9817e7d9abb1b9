package handlers

// incidentRoutes are incidents and their clocks: the list, opening one in an
// organisation (from a report: its escalate link), the incident page and its
// forms, and an organisation's notification presets.
func (s *Server) incidentRoutes() []route {
	return []route{
		{get, "/incidents", Staff, s.incidentList, nil}, // lists the organisations the user has a role in
		{get, "/triage/reports/:ref/escalate", ReportWriter, s.escalateReport, nil},
		{get, "/orgs/:org/incidents/new", OrgWriter, s.newIncidentForm, nil},
		{post, "/orgs/:org/incidents", OrgWriter, s.createIncident, nil},
		{get, "/orgs/:org/incident-presets", OrgReader, s.incidentPresets, nil},
		{post, "/orgs/:org/incident-presets", OrgAdmin, s.saveIncidentPreset, nil},
		{post, "/orgs/:org/incident-presets/zone", OrgAdmin, s.saveIncidentZone, nil},
		{get, "/incidents/:inc", IncidentReader, s.incidentPage, nil},
		{post, "/incidents/:inc", IncidentWriter, s.editIncident, nil},
		{post, "/incidents/:inc/status", IncidentWriter, s.incidentStatus, nil},
		{post, "/incidents/:inc/awareness", IncidentWriter, s.incidentAwareness, nil},
		{post, "/incidents/:inc/corrective", IncidentWriter, s.incidentCorrective, nil},
		{post, "/incidents/:inc/reports", IncidentWriter, s.incidentLinkReport, nil},
		{post, "/incidents/:inc/obligations", IncidentWriter, s.incidentAddObligations, nil},
		{post, "/incidents/:inc/obligations/:id", IncidentWriter, s.incidentObligation, nil}, // :id is an obligation of :inc
		{post, "/incidents/:inc/evidence", IncidentWriter, s.incidentEvidence, s.rateLimit("evidence", evidenceRate)},
		{unknown, "/incidents/*", Staff, notFound, nil},
	}
}
