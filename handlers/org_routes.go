package handlers

// orgManageRoutes are what organisations' admins do beyond their page
// (orgRoutes): invite people (the invitation's link, the credential as a
// setup link's, answers it), create client organisations; and the site
// admin's move of a program between organisations.
func (s *Server) orgManageRoutes() []route {
	return []route{
		{post, "/orgs/:org/invites/:id/cancel", OrgAdmin, s.cancelOrgInvite, nil}, // :id is an invitation of :org
		{post, "/orgs/:org/children", OrgAdmin, s.createChildOrg, nil},
		{post, "/orgs/:org/programs/:id/move", Admin, s.moveProgram, nil}, // :id is a program of :org
		{get, "/invites/:token", Public, s.invitePage, nil},
		{post, "/invites/:token", Public, s.inviteSetup, nil},           // a new account's password; the token is the credential
		{post, "/invites/:token/accept", Staff, s.acceptInvite, nil},    // the token and the session must be the invitee's
		{post, "/invites/:token/decline", Public, s.declineInvite, nil}, // the token is the credential
	}
}
