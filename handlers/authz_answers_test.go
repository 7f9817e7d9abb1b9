package handlers_test

import (
	"net/url"
	"strings"

	"github.com/disclose/disclose/mailin/pgp"
	"github.com/disclose/disclose/static"
)

// param is the fixture of one path parameter, named by the route's path up
// to it (so /admin/users/:id and /admin/programs/:id differ): the value a
// case uses, and others, values of the same kind that belong to another
// report, user or webhook; each of those is a case of its own, answered
// 404 by everyone the rule lets through.
type param struct {
	value  func(c *matrixCase) string
	others []other
}

type other struct {
	name  string
	value func(c *matrixCase) string
}

func fixed(v string) func(*matrixCase) string { return func(*matrixCase) string { return v } }
func id(n int64) func(*matrixCase) string     { return fixed(itoa(n)) }

// params are the fixtures of every path parameter of the table. A route
// whose parameter has none fails the matrix.
func (f *matrixFixture) params() map[string]param {
	reports := func(of func(mailed) int64) []other {
		return []other{{"another report, same program", func(*matrixCase) string { return itoa(of(f.sibling)) }},
			{"another report, other program", func(*matrixCase) string { return itoa(of(f.foreign)) }}}
	}
	nowhere := fixed("no-such-page")
	m := map[string]param{
		"/policy/:slug":                    {value: fixed(f.own.Slug)},
		"/setup/:token":                    {value: fixed(f.inviteToken)},
		"/.well-known/openpgpkey/hu/:hash": {value: fixed(pgp.WKDHash("security"))},
		"/static/*":                        {value: fixed(strings.TrimPrefix(static.URL("style.css"), "/static/"))},
		"/*":                               {value: nowhere},
		"/account/*":                       {value: nowhere},
		"/triage/*":                        {value: nowhere},
		"/admin/*":                         {value: nowhere},
		"/orgs/*":                          {value: nowhere},
		"/orgs/:org":                       {value: fixed("client")},
		"/orgs/:org/members/:id": {value: func(c *matrixCase) string { return itoa(f.orgMember(c.t)) },
			others: []other{{"a user of another organisation", id(f.someone.ID)}}},
		"/orgs/:org/mailboxes/:id": {value: func(c *matrixCase) string { return itoa(f.mailboxOf(c.t, f.client.ID, f.own.ID)) },
			others: []other{{"a mailbox of another organisation", func(c *matrixCase) string { return itoa(f.foreignMailbox(c.t)) }}}},
		"/orgs/:org/invites/:id": {value: func(c *matrixCase) string { id, _ := f.orgInvite(c.t, f.client); return itoa(id) },
			others: []other{{"an invitation of another organisation", func(c *matrixCase) string { id, _ := f.orgInvite(c.t, f.siblingOrg); return itoa(id) }}}},
		"/invites/:token": {value: func(c *matrixCase) string { _, tok := f.orgInvite(c.t, f.client); return tok }},
		"/orgs/:org/outbox/:id": {value: func(c *matrixCase) string { return itoa(f.orgMail(c.t, f.client)) },
			others: []other{{"a mail of another organisation", func(c *matrixCase) string { return itoa(f.orgMail(c.t, f.siblingOrg)) }}}},
		"/orgs/:org/programs/:id": {value: func(c *matrixCase) string { return itoa(f.orgProgram(c.t, f.client)) },
			others: []other{{"a program of another organisation", func(c *matrixCase) string { return itoa(f.orgProgram(c.t, f.siblingOrg)) }}}},
		"/status/attachments/:id": {value: id(f.reportedAtt), others: []other{
			{"an internal note of the same report", id(f.internalAtt)},
			{"another report, same program", id(f.sibling.att)},
			{"another report, other program", id(f.foreign.att)}}},
		"/account/sessions/:id": {value: func(c *matrixCase) string {
			if !c.s.staff() || c.s.enrolling {
				return f.someoneSession // refused before it is looked at
			}
			return f.otherSession(c.t, c.s.email, c.s.b)
		}, others: []other{{"another user's session", fixed(f.someoneSession)}}},
		"/triage/reports/:ref":                 {value: func(c *matrixCase) string { return c.report().r.Ref() }},
		"/triage/reports/:ref/attachments/:id": {value: func(c *matrixCase) string { return itoa(c.report().att) }, others: reports(func(m mailed) int64 { return m.att })},
		"/triage/reports/:ref/mail/:entry":     {value: func(c *matrixCase) string { return itoa(c.report().entry) }, others: reports(func(m mailed) int64 { return m.entry })},
		"/triage/reports/:ref/keys/:id":        {value: func(c *matrixCase) string { return itoa(c.report().cand) }, others: reports(func(m mailed) int64 { return m.cand })},
		"/triage/reports/:ref/entries/:id": {value: func(c *matrixCase) string { return itoa(f.unverifiedEntry(c.t, c.report().r)) }, others: []other{
			{"another report, same program", id(f.siblingUnverified)}, {"another report, other program", id(f.foreignUnverif)}}},
		"/orgs/:org/advisories/:id":          {value: f.freshAdvisory, others: []other{{"an advisory of another organisation", fixed(f.advisories.foreign.Ident)}}},
		"/advisories/:id":                    {value: fixed(f.advisories.published.Ident), others: []other{{"an advisory of another organisation", fixed(f.advisories.foreign.Ident)}}},
		"/orgs/:org/advisories/:id/cve/:cve": {value: fixed(matrixCVE), others: []other{{"a CVE the advisory does not name", fixed("CVE-2026-9999")}}},
		"/advisories/:id/cve/:file":          {value: fixed(matrixCVE + ".json"), others: []other{{"a CVE the advisory does not name", fixed("CVE-2026-9999.json")}}},
		"/.well-known/csaf/white/:year":      {value: fixed(f.advisories.published.PublishedAt.Format("2006"))},
		"/.well-known/csaf/white/:year/:file": {value: fixed(strings.ToLower(f.advisories.published.Ident) + ".json"),
			others: []other{{"an advisory of another organisation", fixed(strings.ToLower(f.advisories.foreign.Ident) + ".json")}}},
		"/admin/users/:id":       {value: id(f.target.ID)},
		"/admin/programs/:id":    {value: id(f.own.ID)},
		"/admin/retention/:id":   {value: id(f.own.ID)},
		"/admin/intake/mail/:id": {value: id(f.kept)},
		"/admin/outbox/:id":      {value: id(f.outboxMail)},
		"/admin/webhooks/:id":    {value: func(c *matrixCase) string { return itoa(c.webhook()) }},
		"/login/sso/:id":         {value: fixed("0")}, // no such provider: 404 for all (sso_test.go signs in)
		"/admin/sso/:id":         {value: func(c *matrixCase) string { return itoa(f.ssoProvider(c.t)) }},
		"/account/passkeys/:id":  {value: f.ownPasskey, others: []other{{"another user's passkey", f.someonesPasskey}}},
		"/admin/webhooks/:id/deliveries/:delivery": {value: func(c *matrixCase) string { c.webhook(); return itoa(c.delivery) },
			others: []other{{"a delivery of another webhook", id(f.otherDelivery)}}},
		"/account/tokens/:id": {value: func(c *matrixCase) string { return itoa(f.tokenOf(c)) },
			others: []other{{"another user's token", func(*matrixCase) string { return itoa(f.someoneToken) }}}},
		// The JSON API (authz_api_test.go).
		"/api/*":                               {value: nowhere},
		"/api/v1/reports/:ref":                 {value: func(c *matrixCase) string { return c.report().r.Ref() }},
		"/api/v1/reports/:ref/attachments/:id": {value: func(c *matrixCase) string { return itoa(c.report().att) }, others: reports(func(m mailed) int64 { return m.att })},
		"/api/v1/incidents/:inc": {value: func(c *matrixCase) string { return c.incident().Ref() }, others: []other{
			{"an incident of another organisation", func(c *matrixCase) string {
				return notReached(f.otherIncidents(c.t)[1].Ref(), "INC-1000000001")(c)
			}}}},
		"/api/v1/advisories/:id": {value: f.freshAdvisory, others: []other{
			{"an advisory of another organisation", func(c *matrixCase) string {
				return notReached(f.advisories.foreign.Ident, "SIBLING-SA-1999-001")(c)
			}}}},
	}
	for k, v := range f.incidentParams() {
		m[k] = v
	}
	return m
}

// answer is what a route answers a request its rule let through.
type answer struct {
	status   int
	location string // prefix of the Location header, "" for none expected
}

// answers are the routes whose answer to the matrix's request is not 200
// (the default of GET). Every other method must be listed: a new route
// states what it answers. signedInAnswers override them for subjects with
// a staff session.
var answers = map[string]answer{
	"GET /login/code":                                     {303, "/login"},
	"POST /report":                                        {422, ""}, // an empty title
	"POST /status":                                        {303, "/status"},
	"POST /status/forget":                                 {303, "/status"},
	"POST /status/reply":                                  {303, "/status?sent=1"},
	"POST /login":                                         {303, "/triage"},
	"POST /login/code":                                    {401, ""}, // no login waits for a code
	"POST /login/forgot":                                  {303, "/login/forgot?sent=1"},
	"POST /logout":                                        {303, "/login?done=out"},
	"POST /setup/:token":                                  {422, ""}, // no password
	"POST /account/2fa":                                   {422, ""}, // a wrong code
	"POST /account/2fa/replace":                           {409, ""}, // no second factor yet
	"POST /account/reauth":                                {303, "/account/2fa"},
	"POST /account/password":                              {422, ""}, // the new passwords differ
	"POST /account/sessions/end-others":                   {303, "/account/sessions?done=others"},
	"POST /account/sessions/:id/end":                      {303, "/account/sessions?done=one"},
	"POST /account/notifications":                         {422, ""}, // no such mode
	"POST /triage/reports/:ref/reply":                     {303, "/triage/reports/"},
	"POST /triage/reports/:ref/note":                      {303, "/triage/reports/"},
	"POST /triage/reports/:ref/state":                     {303, "/triage/reports/"},
	"POST /triage/reports/:ref/assign":                    {303, "/triage/reports/"},
	"POST /triage/reports/:ref/fields":                    {303, "/triage/reports/"},
	"POST /triage/reports/:ref/keys/:id/accept":           {303, "/triage/reports/"},
	"POST /triage/reports/:ref/entries/:id/accept":        {303, "/triage/reports/"},
	"POST /admin/users":                                   {200, ""},
	"POST /admin/users/:id":                               {200, ""},
	"POST /admin/users/:id/disable":                       {200, ""},
	"POST /admin/users/:id/enable":                        {200, ""},
	"POST /admin/users/:id/reset-password":                {200, ""},
	"POST /admin/users/:id/reset-2fa":                     {200, ""},
	"POST /admin/review/disable-inactive":                 {303, "/admin/review?done="},
	"POST /admin/programs":                                {422, ""}, // no name
	"POST /admin/programs/:id":                            {422, ""},
	"POST /admin/settings":                                {200, ""},
	"POST /admin/retention/hold":                          {422, ""}, // no reference
	"POST /admin/retention/release":                       {422, ""},
	"POST /admin/retention/:id":                           {303, "/admin/retention?done=saved"},
	"POST /admin/key/unlock":                              {422, ""}, // no passphrase
	"POST /admin/key/lock":                                {303, "/admin/key?done=locked"},
	"POST /admin/outbox/:id/retry":                        {409, ""}, // the mail is not failed
	"POST /admin/programs/:id/webhooks":                   {303, "/admin/programs/"},
	"POST /admin/webhooks/:id":                            {422, ""}, // no URL
	"POST /admin/webhooks/:id/delete":                     {303, "/admin/programs/"},
	"POST /admin/webhooks/:id/deliveries/:delivery/retry": {409, ""}, // the delivery is not failed
	"POST /orgs":                                          {303, "/orgs/m-admin"},
	"POST /orgs/:org":                                     {303, "/orgs/client?saved=1"},
	"POST /orgs/:org/hosts":                               {303, "/orgs/client?saved=1"},
	"POST /orgs/:org/hosts/remove":                        {422, ""}, // no such host
	"POST /orgs/:org/programs":                            {422, ""}, // no name
	"POST /orgs/:org/members":                             {303, "/orgs/client?invited=1"},
	"POST /orgs/:org/invites/:id/cancel":                  {303, "/orgs/client?saved=1"},
	"POST /orgs/:org/outbox/:id/retry":                    {409, ""}, // the mail is not failed
	"POST /orgs/:org/children":                            {422, ""}, // the client is a child: no clients of its own
	"POST /orgs/:org/programs/:id/move":                   {303, "/orgs/sibling?saved=1"},
	"POST /invites/:token":                                {422, ""}, // no password
	"POST /invites/:token/accept":                         {404, ""}, // the link is another account's: like an unknown one
	"POST /invites/:token/decline":                        {200, ""},
	"POST /orgs/:org/members/:id":                         {303, "/orgs/client?saved=1"},
	"POST /orgs/:org/members/:id/remove":                  {303, "/orgs/client?saved=1"},
	"POST /orgs/:org/mailboxes":                           {422, ""}, // no server
	"POST /orgs/:org/mailboxes/:id":                       {422, ""}, // no program
	"POST /orgs/:org/mailboxes/:id/remove":                {303, "/orgs/client?saved=1"},
	"POST /account/tokens":                                {200, ""}, // the new token, shown once
	"POST /account/tokens/:id/revoke":                     {303, "/account/tokens?done=revoked"},
	"POST /api/v1/reports":                                {422, ""}, // no program
	"POST /api/v1/reports/:ref/state":                     {200, ""},
	"POST /api/v1/reports/:ref/assignee":                  {200, ""},
	"POST /api/v1/reports/:ref/classification":            {200, ""},
	"POST /api/v1/reports/:ref/replies":                   {200, ""},
	"POST /api/v1/reports/:ref/notes":                     {200, ""},
	"POST /orgs/:org/advisories":                          {422, ""}, // no title
	"POST /orgs/:org/advisories/:id":                      {409, ""}, // in review: not edited in place
	"POST /orgs/:org/advisories/:id/submit":               {409, ""}, // in review already
	"POST /orgs/:org/advisories/:id/return":               {303, "/orgs/client/advisories/"},
	"POST /orgs/:org/advisories/:id/approve":              {303, "/orgs/client/advisories/"},
	"POST /orgs/:org/advisories/:id/withdraw":             {422, ""}, // no reason
	"POST /status/credit":                                 {404, ""}, // a credit of another report
}

var signedInAnswers = map[string]answer{
	"GET /login": {303, "/triage"}, // already signed in
}

// forms are the bodies the matrix sends (POST routes not listed send only
// their CSRF token, and the report's version under /triage/reports/:ref).
func (f *matrixFixture) forms(c *matrixCase) map[string]url.Values {
	return map[string]url.Values{
		"POST /report":                           {"title": {""}},
		"POST /status":                           {"code": {f.codes["spare"]}},
		"POST /status/reply":                     {"body": {"A message from the matrix."}},
		"POST /login":                            {"email": {"someone@example.org"}, "password": {testPassword}},
		"POST /login/code":                       {"code": {"000000"}},
		"POST /login/forgot":                     {"email": {"someone@example.org"}},
		"POST /account/2fa":                      {"code": {"000000"}},
		"POST /account/reauth":                   {"password": {testPassword}},
		"POST /account/password":                 {"current": {testPassword}, "password": {"new password one"}, "password2": {"new password two"}},
		"POST /account/notifications":            {"mode": {"hourly"}},
		"POST /triage/reports/:ref/reply":        {"body": {"Thanks, reproduced."}},
		"POST /triage/reports/:ref/note":         {"body": {"Internal."}},
		"POST /triage/reports/:ref/state":        {"to": {"triaged"}},
		"POST /triage/reports/:ref/assign":       {"assignee": {""}},
		"POST /triage/reports/:ref/fields":       {"asset": {"api.example.org"}, "cvss": {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}},
		"POST /admin/users":                      {"email": {"m-" + c.s.name + "@example.org"}, "role": {"viewer"}},
		"POST /admin/users/:id":                  {"name": {"Matrix " + c.s.name}, "role": {"viewer"}},
		"POST /admin/programs/:id/webhooks":      {"url": {"https://hooks.example.org/" + c.s.name}, "format": {"generic"}, "enabled": {"on"}},
		"POST /orgs":                             {"slug": {"m-" + c.s.name}, "name": {"Matrix " + c.s.name}},
		"POST /orgs/:org":                        {"org_name": {"Client"}},
		"POST /orgs/:org/hosts":                  {"host": {c.s.name + ".client.example"}},
		"POST /orgs/:org/members":                {"email": {"om-" + c.s.name + "@example.org"}, "role": {"viewer"}},
		"POST /orgs/:org/members/:id":            {"role": {"triager"}},
		"POST /account/tokens":                   {"name": {"m-" + c.s.name}, "scope": {"read"}, "expires": {"30"}},
		"POST /orgs/:org/children":               {"child_name": {"Matrix " + c.s.name}, "child_slug": {"m-" + c.s.name}},
		"POST /orgs/:org/programs/:id/move":      {"to": {f.siblingOrg.Slug}},
		"POST /orgs/:org/advisories/:id":         advisoryForm(f),
		"POST /status/credit":                    {"credit": {itoa(f.advisories.published.Credits[0].ID)}, "name": {"Mallory"}},
		"POST /orgs/:org/advisories/:id/return":  {"version": {advisoryVersion(f)}},
		"POST /orgs/:org/advisories/:id/approve": {"version": {advisoryVersion(f)}},
	}
}

// prepare is what a route's answer assumes the subject did before.
var prepare = map[string]string{
	"GET /account/2fa/qr.png": "/account/2fa", // the enrolment the QR code shows starts there
	"POST /account/2fa":       "/account/2fa",
}

// query is added to a GET's path: the listing routes then list every state
// and search the reports' text.
var query = map[string]string{
	"GET /triage":             "?state=all&q=escaping",
	"GET /triage/export.csv":  "?state=all",
	"GET /triage/export.json": "?state=all",
	// The fixture's reports are the first; the cases before added many.
	"GET /api/v1/reports": "?state=all&q=escaping&sort=oldest",
}

// sessionChanging are the routes after which the subject's browser holds
// another identity (or none): it connects again.
var sessionChanging = map[string]bool{"POST /login": true, "POST /logout": true, "POST /status": true, "POST /status/forget": true}
