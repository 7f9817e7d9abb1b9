package handlers

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/disclose/disclose/static"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// route is one row of the route table: who may use it (access, enforced by
// guard before anything of the route runs), what answers, and a rate limit
// that runs after the access check (nil: none).
type route struct {
	method, path string
	access       Access
	handler      echo.HandlerFunc
	limit        echo.MiddlewareFunc
}

// RouteRule is a row of the route table as tests read it.
type RouteRule struct {
	Method, Path string
	Access       Access
}

const (
	get  = http.MethodGet
	post = http.MethodPost
	// unknown is echo's catch-all "method": an address under an area that
	// no route has. It answers 404 after the area's access rule, so a
	// guessed staff address reads like a real one to a stranger.
	unknown = echo.RouteNotFound
)

// table is every route of the portal, one area after the other.
func (s *Server) table() []route {
	var t []route
	for _, area := range [][]route{s.publicRoutes(), s.reporterRoutes(), s.accountRoutes(), s.triageRoutes(), s.adminRoutes(), s.orgRoutes(), s.orgManageRoutes(), s.tokenRoutes(), s.apiRoutes(), s.ssoRoutes(), s.passkeyRoutes(), s.advisoryRoutes(), s.cveRoutes(), s.incidentRoutes(), s.orgMetricsRoutes(), s.orgOutboxRoutes()} {
		t = append(t, area...)
	}
	return t
}

// publicRoutes answer anyone: the form, the policy, sign-in, the published
// key and security.txt, health and metrics.
func (s *Server) publicRoutes() []route {
	submit := s.rateLimit("submit", s.cfg.SubmitRate)
	return []route{
		{get, "/", Public, s.landing, nil},
		{get, "/policy", Public, s.policy, nil},
		{get, "/policy/:slug", Public, s.policy, nil},
		{get, "/report", Public, s.reportForm, nil},
		{post, "/report", Public, s.submitReport, submit},
		{get, "/status", Public, s.statusPage, nil},                                       // the code form, or the session's report
		{post, "/status", Public, s.statusLogin, s.rateLimit("status", s.cfg.StatusRate)}, // the receipt code is the credential
		{post, "/status/forget", Public, s.statusForget, nil},                             // ends whatever session the cookie names
		{get, "/login", Public, s.loginForm, nil},
		{post, "/login", Public, s.login, nil},
		{get, "/login/code", Public, s.loginCodeForm, nil},
		{post, "/login/code", Public, s.loginCode, nil},
		{get, "/login/forgot", Public, s.forgotForm, nil},
		{post, "/login/forgot", Public, s.forgot, s.rateLimit("reset", s.cfg.ResetRate)},
		{post, "/logout", Public, s.logout, nil}, // ends whatever session the cookie names
		{get, "/setup/:token", Public, s.setupForm, nil},
		{post, "/setup/:token", Public, s.setup, nil}, // the one-time token is the credential
		{get, "/.well-known/security.txt", Public, s.securityTxt, nil},
		{get, "/security.txt", Public, s.securityTxt, nil},
		{get, keyPath, Public, s.publicKey, nil},
		{get, "/.well-known/openpgpkey/policy", Public, s.wkdPolicy, nil},
		{get, "/.well-known/openpgpkey/hu/:hash", Public, s.wkdKey, nil},
		{get, "/healthz", Public, s.healthz, nil},
		{get, "/metrics", Scraper, s.metrics, nil},
		{get, "/static/*", Public, echo.WrapHandler(static.Handler()), nil},
		{unknown, "/*", Public, notFound, nil},
	}
}

// reporterRoutes act on the report of the browser's status session.
func (s *Server) reporterRoutes() []route {
	return []route{
		{post, "/status/reply", Reporter, s.statusReply, s.rateLimit("submit", s.cfg.SubmitRate)},
		{get, "/status/attachments/:id", Reporter, s.statusAttachment, nil},
	}
}

// accountRoutes act on the signed-in user's own account only: every
// handler takes the user from the session, never from the URL.
func (s *Server) accountRoutes() []route {
	return []route{
		{get, "/account/2fa", SignedIn, s.twoFactor, nil},
		{get, "/account/2fa/qr.png", SignedIn, s.twoFactorQR, nil},
		{post, "/account/2fa", SignedIn, s.confirmTwoFactor, nil},
		{post, "/account/2fa/replace", SignedIn, s.replaceTwoFactor, nil},
		{get, "/account/reauth", SignedIn, s.reauthForm, nil},
		{post, "/account/reauth", SignedIn, s.reauth, nil},
		{get, "/account/password", Staff, s.passwordForm, nil},
		{post, "/account/password", Staff, s.changePassword, nil},
		{get, "/account/sessions", Staff, s.sessionsPage, nil},
		{post, "/account/sessions/end-others", Staff, s.endOtherSessions, nil},
		{post, "/account/sessions/:id/end", Staff, s.endSession, nil}, // :id is one of the user's own sessions
		{get, "/account/notifications", Staff, s.notificationsForm, nil},
		{post, "/account/notifications", Staff, s.saveNotifications, nil},
		{unknown, "/account", Staff, notFound, nil},
		{unknown, "/account/*", Staff, notFound, nil},
	}
}

// triageRoutes are the queue and the report pages. The queue and exports
// list only the user's programs (scopeQueue); a report page is the rule's.
func (s *Server) triageRoutes() []route {
	return []route{
		{get, "/triage", Staff, s.triageQueue, nil},
		{get, "/triage/metrics", Staff, s.triageMetrics, nil},
		{get, "/triage/export.csv", Writer, s.triageExport("csv"), nil},
		{get, "/triage/export.json", Writer, s.triageExport("json"), nil},
		{get, "/triage/reports/:ref", ReportReader, s.triageReportPage, nil},
		{get, "/triage/reports/:ref/attachments/:id", ReportReader, s.triageAttachment, nil},
		{get, "/triage/reports/:ref/mail/:entry", ReportReader, s.triageRawMail, nil},
		{post, "/triage/reports/:ref/reply", ReportWriter, s.triageReply, nil},
		{post, "/triage/reports/:ref/note", ReportWriter, s.triageNote, nil},
		{post, "/triage/reports/:ref/state", ReportWriter, s.triageState, nil},
		{post, "/triage/reports/:ref/assign", ReportWriter, s.triageAssign, nil},
		{post, "/triage/reports/:ref/fields", ReportWriter, s.triageFields, nil},
		{post, "/triage/reports/:ref/keys/:id/accept", ReportWriter, s.triageAcceptKey, nil},
		{post, "/triage/reports/:ref/entries/:id/accept", ReportWriter, s.triageAcceptMail, nil},
		{unknown, "/triage/*", Staff, notFound, nil},
	}
}

// adminRoutes are the admin pages: users, programs, settings, audit,
// retention, mail intake, the team key, the outbox and webhooks.
func (s *Server) adminRoutes() []route {
	return []route{
		{get, "/admin", Admin, s.adminHome, nil},
		{get, "/admin/users", Admin, s.adminUsers, nil},
		{post, "/admin/users", Admin, s.inviteUser, nil},
		{get, "/admin/users/:id", Admin, s.adminUser, nil},
		{post, "/admin/users/:id", Admin, s.updateUser, nil},
		{post, "/admin/users/:id/disable", Admin, s.userAction(true), nil},
		{post, "/admin/users/:id/enable", Admin, s.userAction(false), nil},
		{post, "/admin/users/:id/reset-password", Admin, s.resetPassword, nil},
		{post, "/admin/users/:id/reset-2fa", Admin, s.resetTwoFactor, nil},
		{get, "/admin/review", Admin, s.adminReview, nil},
		{post, "/admin/review/disable-inactive", Admin, s.disableInactive, nil},
		{get, "/admin/programs", Admin, s.adminPrograms, nil},
		{get, "/admin/programs/new", Admin, s.newProgram, nil},
		{post, "/admin/programs", Admin, s.saveProgram, nil},
		{get, "/admin/programs/:id", Admin, s.editProgram, nil},
		{post, "/admin/programs/:id", Admin, s.saveProgram, nil},
		{get, "/admin/audit", Admin, s.adminAudit, nil},
		{get, "/admin/settings", Admin, s.adminSettings, nil},
		{post, "/admin/settings", Admin, s.saveSettings, nil},
		{get, "/admin/retention", Admin, s.adminRetention, nil},
		{post, "/admin/retention/hold", Admin, s.legalHold(true), nil},
		{post, "/admin/retention/release", Admin, s.legalHold(false), nil},
		{post, "/admin/retention/:id", Admin, s.saveRetention, nil},
		{get, "/admin/intake", Admin, s.adminIntake, nil},
		{get, "/admin/intake/mail/:id", Admin, s.adminIntakeMail, nil},
		{get, "/admin/key", Admin, s.adminKey, nil},
		{post, "/admin/key/unlock", Admin, s.unlockKey, s.rateLimit("key-unlock", unlockRate)},
		{post, "/admin/key/lock", Admin, s.lockKey, nil},
		{get, "/admin/outbox", Admin, s.adminOutbox, nil},
		{get, "/admin/outbox/:id", Admin, s.adminMail, nil},
		{post, "/admin/outbox/:id/retry", Admin, s.retryMail, nil},
		{get, "/admin/programs/:id/webhooks", ProgramAdmin, s.adminWebhooks, nil},
		{post, "/admin/programs/:id/webhooks", ProgramAdmin, s.createWebhook, nil},
		{post, "/admin/webhooks/:id", WebhookAdmin, s.updateWebhook, nil},
		{post, "/admin/webhooks/:id/delete", WebhookAdmin, s.deleteWebhook, nil},
		{post, "/admin/webhooks/:id/deliveries/:delivery/retry", WebhookAdmin, s.retryDelivery, nil},
		{unknown, "/admin/*", Admin, notFound, nil},
	}
}

// orgRoutes are the pages of organisations' admins: their organisations
// (and children), programs and members. Creating organisations and mapping
// host names is the site admin's: a host name decides whose public pages a
// domain serves, the portal's own included.
func (s *Server) orgRoutes() []route {
	return []route{
		{get, "/orgs", OrgsAdmin, s.orgsPage, nil},
		{post, "/orgs", Admin, s.createOrg, nil},
		{get, "/orgs/:org", OrgAdmin, s.orgPage, nil},
		{post, "/orgs/:org", OrgAdmin, s.saveOrg, nil},
		{post, "/orgs/:org/hosts", Admin, s.addOrgHost, nil},
		{post, "/orgs/:org/hosts/remove", Admin, s.removeOrgHost, nil},
		{post, "/orgs/:org/programs", OrgAdmin, s.createOrgProgram, nil},
		{post, "/orgs/:org/members", OrgAdmin, s.addOrgMember, nil},
		{post, "/orgs/:org/members/:id", OrgAdmin, s.setOrgMember, nil}, // :id is a member of :org
		{post, "/orgs/:org/members/:id/remove", OrgAdmin, s.removeOrgMember, nil},
		{post, "/orgs/:org/mailboxes", OrgAdmin, s.addOrgMailbox, nil},
		{get, "/orgs/:org/audit", OrgAdmin, s.orgAudit, nil},
		{get, "/orgs/:org/mailboxes/:id", OrgAdmin, s.editOrgMailbox, nil}, // :id is a mailbox of :org
		{post, "/orgs/:org/mailboxes/:id", OrgAdmin, s.saveOrgMailbox, nil},
		{post, "/orgs/:org/mailboxes/:id/remove", OrgAdmin, s.removeOrgMailbox, nil},
		{unknown, "/orgs/*", Staff, notFound, nil},
	}
}

// routes builds the router from the table: each row gets the middleware of
// its access rule, then its rate limit. It panics on a row without a rule.
func (s *Server) routes() *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	// Client addresses come from the connection: a forwarded header is only
	// trusted once the operator names the proxy (ops.go).
	e.IPExtractor = s.ipExtractor()
	e.HTTPErrorHandler = s.errorHandler

	e.Use(s.recoverPanics, middleware.RequestID(), s.cfg.Metrics.observe, s.logRequests, s.securityHeaders, s.bodyLimit, s.formLimits(), s.csrf)
	s.mount(e, s.table())
	return e
}

// mount adds the rows to e and to s.rules.
func (s *Server) mount(e *echo.Echo, rows []route) {
	for _, r := range rows {
		if !r.access.Valid() {
			panic(fmt.Sprintf("handlers: route %s %s has no access rule", r.method, r.path))
		}
		if api := strings.HasPrefix(r.path, apiPrefix); api != r.access.isAPI() && r.access != Public {
			panic(fmt.Sprintf("handlers: route %s %s: API rules are for /api/ rows only, and those take no other", r.method, r.path))
		}
		mw := s.guard(r.access)
		if r.limit != nil {
			mw = append(mw, r.limit)
		}
		e.Add(r.method, r.path, r.handler, mw...)
		s.rules = append(s.rules, RouteRule{Method: r.method, Path: r.path, Access: r.access})
	}
}

// Routes is the route table with each route's access rule, as the router
// holds it; the authorization matrix test is generated from it.
func (s *Server) Routes() []RouteRule { return append([]RouteRule(nil), s.rules...) }

func notFound(echo.Context) error { return echo.NewHTTPError(http.StatusNotFound) }
