package handlers

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/views"
	"github.com/labstack/echo/v4"
)

// Access is the rule a route of the table (routes.go) needs. The middleware
// built from it (guard) is the only place where access is decided: a
// handler finds the signed-in user (staffUser) and the report of the
// request (reportOf) already checked, and never checks them again.
//
// The zero value is no rule: a row without one makes the server refuse to
// start.
type Access int

const (
	accessMissing Access = iota
	// Public: anyone. Routes whose credential is in the request itself (a
	// receipt code, a one-time setup token, a password) are public: the
	// handler checks the credential, as it is the request.
	Public
	// Scraper: the bearer token of /metrics (Config.MetricsToken), or a
	// loopback client when the operator allowed that (Config.MetricsLoopback).
	// Anyone else gets 401.
	Scraper
	// Reporter: a reporter's status session (a receipt code opened it). The
	// report is the session's, never one named in the URL. Without a
	// session a GET is 404, anything else 401 with the code form.
	Reporter
	// SignedIn: any staff session, also one that must still set up its
	// second factor (the pages that set it up). Without a session a GET is
	// sent to sign in, anything else gets 401.
	SignedIn
	// Staff: a staff session whose second factor is set up when the portal
	// requires one; until then a GET is sent to /account/2fa and anything
	// else gets 403.
	Staff
	// Writer: Staff whose role may change the reports of some program
	// (admin, triager); a viewer everywhere gets 403. What it may change is
	// then limited to those programs (db.User.WritablePrograms).
	Writer
	// ReportReader: Staff, and the report named by :ref is in one of the
	// user's programs (admins: any). Otherwise 404, exactly as for a report
	// that does not exist, so references of other programs cannot be
	// probed. Sub-resources (:id, :entry) are then looked up under this
	// report only, so an id of another report is 404 too.
	ReportReader
	// ReportWriter: ReportReader, and the role may change reports; a viewer
	// gets 403, after the visibility check, so a 403 never confirms a
	// report of another program.
	ReportWriter
	// Admin: the site admin (users.role admin, the instance operator);
	// other staff, organisation admins too, get 403.
	Admin
	// OrgsAdmin: Staff who administers some organisation (site admins,
	// organisations' admins); other staff get 403. What such a page lists
	// is limited to the organisations the user manages.
	OrgsAdmin
	// OrgAdmin: Staff, and the organisation named by :org is one the user
	// manages (site admins: any; an organisation's admins: it and its
	// children). Otherwise 404, exactly as for an organisation that does
	// not exist, so slugs of other organisations cannot be probed.
	// Sub-resources (a member's :id) are then looked up under this
	// organisation only.
	OrgAdmin
	// ProgramAdmin: Staff, and the program named by :id belongs to an
	// organisation the user manages (site admins: any; an organisation's
	// admins: its programs and its children's). Otherwise 404, exactly as
	// for a program that does not exist.
	ProgramAdmin
	// WebhookAdmin: ProgramAdmin for the program of the webhook named by
	// :id. Sub-resources (a :delivery) are then looked up under this
	// webhook only.
	WebhookAdmin
	// APIToken: a JSON API request with a valid personal access token
	// (Authorization: Bearer), and only that: cookies are not read. The
	// user it acts as has the token's effective rights (api_access.go).
	// Without one, 401 with a problem document. Only /api/ rows may have
	// an API rule, and they may have no other (but Public).
	APIToken
	// APIWriter: APIToken whose effective rights may change the reports
	// of some program (the Writer rule through the token); otherwise 403.
	APIWriter
	// APIReportReader: APIToken, and :ref is a report the token's rights
	// see (ReportReader through the token); otherwise 404.
	APIReportReader
	// APIReportWriter: APIReportReader, and the rights may change it
	// (ReportWriter through the token); otherwise 403 after the 404 check.
	APIReportWriter
	// APIAdmin: APIToken of a site admin with the admin scope and no
	// organisation limit; otherwise 403.
	APIAdmin
	// OrgReader: Staff with a role in the organisation named by :org (or
	// its parent; site admins: any). Otherwise 404, as for an organisation
	// that does not exist. Viewers read (drafts too).
	OrgReader
	// OrgWriter: OrgReader, and the role there is admin or triager; a
	// viewer gets 403, after the 404 of an organisation it is no member of.
	OrgWriter
	// IncidentReader, IncidentWriter: the incident named by :inc, read or
	// changed by staff with a role in its organisation (incident_access.go).
	IncidentReader
	IncidentWriter
	// APIIncidentReader: APIToken, and :inc is an incident of an
	// organisation the token's rights have a role in (IncidentReader
	// through the token); otherwise 404.
	APIIncidentReader
	// APIAdvisoryReader: APIToken, and :id is the identifier of an advisory
	// of an organisation the token's rights have a role in (OrgReader
	// through the token, drafts too); otherwise 404.
	APIAdvisoryReader
)

var accessNames = [...]string{"(no rule)", "Public", "Scraper", "Reporter", "SignedIn", "Staff", "Writer", "ReportReader", "ReportWriter", "Admin",
	"OrgsAdmin", "OrgAdmin", "ProgramAdmin", "WebhookAdmin", "APIToken", "APIWriter", "APIReportReader", "APIReportWriter", "APIAdmin",
	"OrgReader", "OrgWriter", "IncidentReader", "IncidentWriter", "APIIncidentReader", "APIAdvisoryReader"}

func (a Access) String() string {
	if a < 0 || int(a) >= len(accessNames) {
		return "(unknown rule)"
	}
	return accessNames[a]
}

// Valid says whether a is one of the rules above.
func (a Access) Valid() bool { return a > accessMissing && int(a) < len(accessNames) }

// guard is the middleware that enforces a. It panics on a row without a
// rule: the server must not start with a route whose access nobody decided.
func (s *Server) guard(a Access) []echo.MiddlewareFunc {
	switch a {
	case Public:
		return nil
	case Scraper:
		return []echo.MiddlewareFunc{s.requireScraper}
	case Reporter:
		return []echo.MiddlewareFunc{s.requireReporter}
	case SignedIn:
		return []echo.MiddlewareFunc{s.requireSession(true)}
	case Staff:
		return []echo.MiddlewareFunc{s.requireSession(false)}
	case Writer:
		return []echo.MiddlewareFunc{s.requireSession(false), s.requireRole(mayWrite)}
	case ReportReader:
		return []echo.MiddlewareFunc{s.requireSession(false), s.requireReport(false)}
	case ReportWriter:
		return []echo.MiddlewareFunc{s.requireSession(false), s.requireReport(true)}
	case Admin:
		return []echo.MiddlewareFunc{s.requireSession(false), s.requireRole(isAdmin)}
	case OrgsAdmin:
		return []echo.MiddlewareFunc{s.requireSession(false), s.requireRole(managesAny)}
	case OrgAdmin:
		return []echo.MiddlewareFunc{s.requireSession(false), s.requireOrg}
	case ProgramAdmin:
		return []echo.MiddlewareFunc{s.requireSession(false), s.requireProgramAdmin(false)}
	case WebhookAdmin:
		return []echo.MiddlewareFunc{s.requireSession(false), s.requireProgramAdmin(true)}
	case APIToken, APIWriter, APIReportReader, APIReportWriter, APIAdmin, APIIncidentReader, APIAdvisoryReader:
		return s.apiGuard(a)
	case OrgReader:
		return []echo.MiddlewareFunc{s.requireSession(false), s.requireOrgMember(false)}
	case OrgWriter:
		return []echo.MiddlewareFunc{s.requireSession(false), s.requireOrgMember(true)}
	case IncidentReader, IncidentWriter:
		return s.incidentGuard(a)
	}
	panic("handlers: a route has no access rule (" + a.String() + ")")
}

// staffKey is where requireSession puts the signed-in *db.User, reportKey
// where requireReport and requireReporter put the request's *db.Report.
const (
	staffKey  = "staff"
	reportKey = "report"
	orgKey    = "org"
)

// staffUser is the signed-in user of a request behind a staff rule.
func staffUser(c echo.Context) *db.User {
	u, _ := c.Get(staffKey).(*db.User)
	return u
}

// reportOf is the report of a request behind ReportReader, ReportWriter or
// Reporter: the one the rule checked.
func reportOf(c echo.Context) *db.Report {
	r, _ := c.Get(reportKey).(*db.Report)
	return r
}

// errForbiddenRole is the answer to a role that does not reach a route.
var errForbiddenRole = db.Errorf(db.EFORBIDDEN, "Your role does not give access to this page. Ask an admin if you need it.")

// errEnrolFirst refuses anything but the enrolment pages to a user who
// must set up a second factor first.
var errEnrolFirst = db.Errorf(db.EFORBIDDEN, "This portal requires two-factor sign-in: set it up at /account/2fa first.")

// requireSession lets a request through only with a valid staff session.
// A browser without one is sent to the login page (GET) or refused
// (anything else: the form's content would be lost in a redirect anyway).
// Unless enrolling is allowed, a user who must still set up a second
// factor gets nothing but that.
func (s *Server) requireSession(enrolling bool) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			u, err := s.store.UserBySession(c.Request().Context(), s.sessionToken(c))
			if db.ErrorCode(err) == db.EUNAUTHORIZED {
				if s.sessionToken(c) != "" {
					s.setSessionCookie(c, "", -1)
				}
				if c.Request().Method == http.MethodGet || c.Request().Method == http.MethodHead {
					return c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(c.Request().URL.RequestURI()))
				}
				return echo.NewHTTPError(http.StatusUnauthorized)
			} else if err != nil {
				return err
			}
			c.Response().Header().Set("Cache-Control", "no-store")
			c.Set(staffKey, u)
			if u.MustEnroll && !enrolling {
				if c.Request().Method == http.MethodGet {
					return c.Redirect(http.StatusSeeOther, "/account/2fa")
				}
				return errEnrolFirst
			}
			return next(c)
		}
	}
}

// requireRole refuses users for whom ok is false with a 403 that says so:
// the admin pages are no secret, and a clear answer helps a triager who
// followed a link more than a 404 would.
func (s *Server) requireRole(ok func(*db.User) bool) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if u := staffUser(c); !ok(u) {
				if u != nil {
					s.log.Warn("role refused", "route", c.Path(), "user_id", u.ID, "role", string(u.Role))
				}
				return errForbiddenRole
			}
			return next(c)
		}
	}
}

// requireReport loads the report named by :ref and refuses it, with the
// 404 of a report that does not exist, when the user may not see its
// program; with write, a user who may only read gets 403 afterwards.
func (s *Server) requireReport(write bool) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			u := staffUser(c)
			r, err := s.store.ReportByRef(c.Request().Context(), strings.TrimSpace(c.Param("ref")))
			if db.ErrorCode(err) == db.ENOTFOUND {
				return echo.NewHTTPError(http.StatusNotFound)
			} else if err != nil {
				return err
			}
			if !canSeeProgram(u, r.ProgramID) {
				s.log.Warn("report of another program refused", "route", c.Path(), "user_id", u.ID)
				return echo.NewHTTPError(http.StatusNotFound)
			}
			if write && !u.MayWrite(r.ProgramID) {
				s.log.Warn("read-only user refused", "route", c.Path(), "user_id", u.ID)
				return errForbiddenRole
			}
			c.Set(reportKey, r)
			return next(c)
		}
	}
}

// requireOrg loads the organisation named by :org and refuses it, with the
// 404 of one that does not exist, when the user does not manage it.
func (s *Server) requireOrg(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		u := staffUser(c)
		o, err := s.orgParam(c)
		if err != nil {
			return err
		}
		if u.Disabled || !u.Manages(o) {
			s.log.Warn("organisation not managed refused", "route", c.Path(), "user_id", u.ID)
			return echo.NewHTTPError(http.StatusNotFound)
		}
		c.Set(orgKey, o)
		return next(c)
	}
}

// requireProgramAdmin loads the program named by :id (webhook: the
// program of the webhook named by :id) and refuses it, with the 404 of one
// that does not exist, when the user does not manage its organisation.
// The organisation is then orgOf's.
func (s *Server) requireProgramAdmin(webhook bool) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			ctx := c.Request().Context()
			id, err := pathID(c)
			if err != nil {
				return err
			}
			if webhook {
				h, err := s.store.WebhookByID(ctx, id)
				if db.ErrorCode(err) == db.ENOTFOUND {
					return echo.NewHTTPError(http.StatusNotFound)
				} else if err != nil {
					return err
				}
				id = h.ProgramID
			}
			p, err := s.store.ProgramByID(ctx, id)
			if db.ErrorCode(err) == db.ENOTFOUND {
				return echo.NewHTTPError(http.StatusNotFound)
			} else if err != nil {
				return err
			}
			o, err := s.store.OrgByID(ctx, p.OrgID)
			if err != nil {
				return err
			}
			if u := staffUser(c); u.Disabled || !u.Manages(o) {
				s.log.Warn("program not managed refused", "route", c.Path(), "user_id", u.ID)
				return echo.NewHTTPError(http.StatusNotFound)
			}
			c.Set(orgKey, o)
			return next(c)
		}
	}
}

// requireOrgMember loads the organisation named by :org and refuses it,
// with the 404 of one that does not exist, when the user has no role there;
// with write, a viewer gets 403 afterwards.
func (s *Server) requireOrgMember(write bool) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			u := staffUser(c)
			o, err := s.orgParam(c)
			if err != nil {
				return err
			}
			role := u.OrgRole(o)
			if u.Disabled || role == "" {
				s.log.Warn("organisation of no membership refused", "route", c.Path(), "user_id", u.ID)
				return echo.NewHTTPError(http.StatusNotFound)
			}
			if write && role != db.RoleAdmin && role != db.RoleTriager {
				s.log.Warn("read-only user refused", "route", c.Path(), "user_id", u.ID)
				return errForbiddenRole
			}
			c.Set(orgKey, o)
			return next(c)
		}
	}
}

// orgParam loads the organisation named by :org, or the 404 of one that
// does not exist; the rules decide whether the user may have it.
func (s *Server) orgParam(c echo.Context) (*db.Organisation, error) {
	o, err := s.store.OrgBySlug(c.Request().Context(), strings.TrimSpace(c.Param("org")))
	if db.ErrorCode(err) == db.ENOTFOUND {
		return nil, echo.NewHTTPError(http.StatusNotFound)
	}
	return o, err
}

// orgOf is the organisation of a request behind OrgAdmin, ProgramAdmin,
// WebhookAdmin, OrgReader or OrgWriter.
func orgOf(c echo.Context) *db.Organisation {
	o, _ := c.Get(orgKey).(*db.Organisation)
	return o
}

// requireReporter lets a request through with a status session only; its
// report is then reportOf's.
func (s *Server) requireReporter(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r, err := s.statusReport(c)
		if err != nil {
			return err
		}
		if r == nil {
			if c.Request().Method == http.MethodGet || c.Request().Method == http.MethodHead {
				return echo.NewHTTPError(http.StatusNotFound)
			}
			return s.render(c, http.StatusUnauthorized, views.StatusLoginView(views.StatusLogin{Page: s.page(c, "Check a report"),
				Error: "Your session on this report ended. Enter your receipt code again; then send your message."}))
		}
		c.Set(reportKey, r)
		return next(c)
	}
}

// canSeeProgram is THE visibility rule of reports: site admins see every
// program, everyone else the programs their memberships reach (a program's
// members; an organisation's members its programs and its children's). The
// memberships were read once with the session, so asking is free.
func canSeeProgram(u *db.User, programID int64) bool {
	return u != nil && !u.Disabled && u.MemberOf(programID)
}

// mayWrite says whether u's role may change reports (reply, note, state,
// edits, exports) of some program it can see: viewers only read. Which
// reports is per program (db.User.MayWrite).
func mayWrite(u *db.User) bool { return u != nil && u.MayWriteAny() }

// managesAny is the OrgsAdmin rule: site admins and organisations' admins.
func managesAny(u *db.User) bool { return u != nil && u.ManagesAny() }

// isAdmin is the site admin (instance operator) of the Admin rule.
func isAdmin(u *db.User) bool { return u.IsSiteAdmin() }
