package handlers_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/handlers"
	"github.com/disclose/disclose/mailin"
	"github.com/disclose/disclose/mailin/pgp"
)

// matrixToken is the bearer token of /metrics in the matrix.
const matrixToken = "matrix-metrics-token"

// subject is one kind of user of the authorization matrix.
type subject struct {
	name      string
	role      db.Role // "" without a staff session
	member    bool    // member of the program the matrix's reports are in
	reporter  string  // "own": a status session of the report the fixtures hang off; "other": of another report
	scraper   bool    // holds the metrics bearer token
	enrolling bool    // signed in, but must set up a second factor first
	// org is where an organisation member's role is (role is then its role
	// there, and the account has no instance role): "parent" (the default
	// organisation), "child" (client, which holds the own program) or
	// "sibling" (the other client, which holds the other program).
	org   string
	email string
	b     *browser
	// api is the subject's API token (authz_api_test.go): such a subject
	// has no session.
	api *apiGrant
}

func (s *subject) staff() bool     { return s.role != "" }
func (s *subject) siteAdmin() bool { return s.role == db.RoleAdmin && s.org == "" }
func (s *subject) seesOwn() bool {
	return s.siteAdmin() || s.member || s.org == "parent" || s.org == "child"
}
func (s *subject) writes() bool { return s.role == db.RoleAdmin || s.role == db.RoleTriager }

// sees says whether s reaches the reports of a program of the fixture.
func (s *subject) sees(f *matrixFixture, programID int64) bool {
	switch {
	case s.siteAdmin():
		return true
	case s.org == "parent":
		return true // its own programs and its clients'
	case s.org == "child":
		return programID == f.own.ID
	case s.org == "sibling":
		return programID == f.other.ID
	case s.member:
		return programID == f.own.ID
	}
	return s.staff() && programID == f.other.ID // outsiders are members of the other program
}

// managesClient says whether s administers the client organisation (the
// :org of the matrix): site admins, the parent's and the client's admins.
func (s *subject) managesClient() bool {
	return s.siteAdmin() || (s.role == db.RoleAdmin && (s.org == "parent" || s.org == "child"))
}

// managesAny says whether s administers some organisation.
func (s *subject) managesAny() bool { return s.role == db.RoleAdmin }

// matrixFixture is a portal with what every route of the table needs: three
// programs (own: the reports', other, hooks: the webhooks'), the subjects,
// and the objects path parameters name.
type matrixFixture struct {
	*triageFixture
	t     *testing.T
	hooks *db.Program
	key   *pgp.TeamKey
	// client and sibling are children of the default organisation; the own
	// program is the client's, the other program the sibling's.
	client, siblingOrg *db.Organisation
	members            int   // org members made for cases that change or remove one
	mailboxes          int   // mailboxes made for cases that change or remove one
	foreignBox         int64 // a mailbox of the sibling organisation

	subjects []*subject
	// reported is the report the "reporter" subject holds a session of,
	// with a public attachment and an internal note's attachment.
	reported                 *db.Report
	reportedAtt, internalAtt int64
	codes                    map[string]string // receipt codes: own, other, spare (for POST /status)
	// sibling and foreign are reports of the own and of the other program
	// with everything a report's sub-resources can be.
	sibling, foreign                  mailed
	siblingUnverified, foreignUnverif int64
	target, someone                   *db.User // the user admin routes act on; the user POST /login signs in
	someoneSession                    string   // a session id of someone's
	someoneToken                      int64    // an API token of someone's
	someoneB                          *browser // signed in as someone (another session than someoneSession)
	inviteToken                       string
	kept, outboxMail                  int64
	otherDelivery                     int64 // a delivery of a webhook the case does not name
	advisories                        advisoryFixtures
}

func newMatrixFixture(t *testing.T) *matrixFixture {
	t.Helper()
	ctx := context.Background()
	key := newTeamKey(t)
	p := newPortal(t, configure(func(c *handlers.Config) {
		c.SecurityEmail, c.TeamKey, c.KeyControl, c.MetricsToken = "security@example.org", key, key, matrixToken
		c.APIFailRate.PerMinute = -1 // the matrix sends thousands of refused tokens from one client
	}))
	base, _ := url.Parse(p.Server.URL)
	own, err := p.DB.DefaultProgram(ctx)
	if err != nil {
		t.Fatal(err)
	}
	program := func(name, slug, prefix string) *db.Program {
		pr := db.NewProgramDefaults()
		pr.Name, pr.Slug, pr.Prefix, pr.Email = name, slug, prefix, "security@"+slug+".example"
		saved, err := p.DB.SaveProgram(ctx, pr, nil, db.ActorSystem)
		if err != nil {
			t.Fatal(err)
		}
		return saved
	}
	f := &matrixFixture{triageFixture: &triageFixture{env: p, own: own, other: program("Other", "other", "OTH")}, t: t,
		hooks: program("Hooks", "hooks", "HKS"), key: key, codes: map[string]string{}}

	web := func(name string, files ...db.NewAttachment) *db.Report {
		rc, err := p.DB.CreateReport(ctx, &db.NewReport{ProgramID: own.ID, Source: db.SourceWeb, Title: "Matrix " + name + " escaping",
			Description: "The profile name is rendered without escaping.", Reporter: db.Reporter{Email: name + "@example.net", Credit: db.CreditAnonymous},
			Attachments: files})
		if err != nil {
			t.Fatal(err)
		}
		f.codes[name] = rc.Code
		r, err := p.DB.ReportByID(ctx, rc.ReportID)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	f.client, f.siblingOrg = f.childOrg(t, "client", clientHost, own), f.childOrg(t, "sibling", "reports.sibling.example", f.other)

	f.reported = web("own", db.NewAttachment{Filename: "poc.txt", ContentType: "text/plain", Data: []byte("poc")})
	web("other")
	web("spare")
	if err := p.DB.AddNote(ctx, f.reported.ID, f.reported.Version, db.ActorSystem, "internal", []db.NewAttachment{{Filename: "note.txt", Data: []byte("internal")}}, db.DefaultLimits); err != nil {
		t.Fatal(err)
	}
	tl, err := p.DB.Timeline(ctx, f.reported.ID, false)
	if err != nil || len(tl) < 2 || len(tl[0].Attachments) != 1 || len(tl[len(tl)-1].Attachments) != 1 {
		t.Fatalf("timeline of the reported report: %v", err)
	}
	f.reportedAtt, f.internalAtt = tl[0].Attachments[0].ID, tl[len(tl)-1].Attachments[0].ID

	f.sibling, f.foreign = f.mailedReport(t, own), f.mailedReport(t, f.other)
	f.siblingUnverified, f.foreignUnverif = f.unverifiedEntry(t, f.sibling.r), f.unverifiedEntry(t, f.foreign.r)

	f.target = p.mustUser(t, "target@example.org", db.RoleViewer)
	f.someone = p.mustUser(t, "someone@example.org", db.RoleViewer)
	f.someoneB = p.browser(t)
	f.someoneSession = f.otherSession(t, "someone@example.org", f.someoneB)
	if tok, _, err := p.DB.CreateAPIToken(ctx, f.someone.ID, db.NewAPIToken{Name: "someone's", Scope: db.ScopeRead}, db.ActorSystem); err != nil {
		t.Fatal(err)
	} else {
		f.someoneToken = tok.ID
	}
	if _, f.inviteToken, err = p.DB.InviteUser(ctx, &db.NewUser{Email: "invitee@example.org", Role: db.RoleViewer}, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	f.kept = f.keptMail(t)
	composeMail(t, p.DB, &mailin.Notifier{BaseURL: base, Domain: "portal.example.org"})
	mails, err := p.DB.Mails(ctx, "", 1)
	if err != nil || len(mails) != 1 {
		t.Fatalf("no outbox mail: %v", err)
	}
	f.outboxMail = mails[0].ID
	_, f.otherDelivery = f.newHook(t)
	f.makeAdvisories(t)

	for _, s := range []*subject{
		{name: "anonymous"},
		{name: "scraper", scraper: true},
		{name: "reporter", reporter: "own"},
		{name: "reporter-other", reporter: "other"},
		{name: "viewer-member", role: db.RoleViewer, member: true},
		{name: "viewer-outsider", role: db.RoleViewer},
		{name: "triager-member", role: db.RoleTriager, member: true},
		{name: "triager-outsider", role: db.RoleTriager},
		{name: "admin", role: db.RoleAdmin},
		{name: "enrolling", role: db.RoleTriager, member: true, enrolling: true},
		{name: "parent-admin", role: db.RoleAdmin, org: "parent"},
		{name: "parent-triager", role: db.RoleTriager, org: "parent"},
		{name: "parent-viewer", role: db.RoleViewer, org: "parent"},
		{name: "child-admin", role: db.RoleAdmin, org: "child"},
		{name: "child-triager", role: db.RoleTriager, org: "child"},
		{name: "child-viewer", role: db.RoleViewer, org: "child"},
		{name: "sibling-admin", role: db.RoleAdmin, org: "sibling"},
		{name: "sibling-triager", role: db.RoleTriager, org: "sibling"},
		{name: "sibling-viewer", role: db.RoleViewer, org: "sibling"},
	} {
		switch {
		case s.org != "":
			s.email = s.name + "@example.org"
			u := p.mustUser(t, s.email, db.RoleViewer) // no instance role, no program of its own
			o := map[string]int64{"parent": db.DefaultOrgID, "child": f.client.ID, "sibling": f.siblingOrg.ID}[s.org]
			if err := p.DB.SetOrgMember(ctx, o, u.ID, s.role, db.ActorSystem); err != nil {
				t.Fatal(err)
			}
		case s.staff():
			s.email = s.name + "@example.org"
			programs := []int64{f.other.ID}
			if s.member {
				programs = []int64{own.ID}
			}
			if s.role == db.RoleAdmin {
				programs = nil // admins see every program without being a member
			}
			p.mustUser(t, s.email, s.role, programs...)
		}
		f.connect(t, s)
		f.subjects = append(f.subjects, s)
	}
	for _, s := range tokenSubjects() {
		f.makeToken(t, s)
		f.connect(t, s)
		f.subjects = append(f.subjects, s)
	}
	return f
}

// connect gives s a fresh browser in its state: signed in, holding its
// status session or the metrics token, and a CSRF token in any case.
func (f *matrixFixture) connect(t testing.TB, s *subject) {
	t.Helper()
	s.b = f.env.browser(f.t)
	s.b.host = clientHost // the own program's public pages
	switch {
	case s.staff():
		s.b.mustLogin(s.email)
	case s.reporter != "":
		s.b.get("/status")
		if pg := s.b.post("/status", url.Values{"code": {f.codes[s.reporter]}}); pg.Status != 303 {
			t.Fatalf("%s: receipt code: %d", s.name, pg.Status)
		}
	default:
		s.b.get("/login")
	}
	if s.scraper {
		s.b.header.Set("Authorization", "Bearer "+matrixToken)
	}
	if s.api != nil {
		s.b.header.Set("Authorization", "Bearer "+s.api.secret)
	}
}

// clientHost serves the client organisation, which holds the own program.
const clientHost = "reports.client.example"

// childOrg makes a child of the default organisation on host and moves the
// program into it.
func (f *matrixFixture) childOrg(t testing.TB, slug, host string, p *db.Program) *db.Organisation {
	t.Helper()
	ctx := context.Background()
	o, err := f.env.DB.CreateOrg(ctx, &db.NewOrg{Slug: slug, Name: strings.ToUpper(slug[:1]) + slug[1:], ParentSlug: "default", Hosts: []string{host}}, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.env.DB.Update(ctx, func(ctx context.Context, tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE programs SET org_id = ? WHERE id = ?`, o.ID, p.ID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.env.DB.SaveProgram(ctx, p, nil, db.ActorSystem); err != nil { // drops the cached program list
		t.Fatal(err)
	}
	return o
}

// orgMember makes a fresh member of the client organisation (the cases
// that change or remove one each get their own).
func (f *matrixFixture) orgMember(t testing.TB) int64 {
	t.Helper()
	f.members++
	u := f.env.mustUser(t, fmt.Sprintf("member%d@example.org", f.members), db.RoleViewer)
	if err := f.env.DB.SetOrgMember(context.Background(), f.client.ID, u.ID, db.RoleViewer, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	return u.ID
}

// otherSession signs email in a second time and returns the id of that
// session as b (signed in as email, or signed in now) sees it.
func (f *matrixFixture) otherSession(t testing.TB, email string, b *browser) string {
	t.Helper()
	if b.cookie("disclose_session") == "" {
		b.mustLogin(email)
	}
	second := f.env.browser(f.t)
	second.mustLogin(email)
	ids := sessionEndRE.FindAllStringSubmatch(b.get("/account/sessions").Body, -1)
	if len(ids) == 0 {
		t.Fatalf("%s: no other session listed", email)
	}
	return ids[len(ids)-1][1]
}

// keptMail stores an auto-reply, which intake keeps without a report.
func (f *matrixFixture) keptMail(t testing.TB) int64 {
	t.Helper()
	ctx := context.Background()
	f.mails++
	raw := fmt.Sprintf("From: bob@example.net\r\nSubject: Out of office\r\nMessage-ID: <kept%d@example.net>\r\nAuto-Submitted: auto-replied\r\n\r\naway\r\n", f.mails)
	sum := sha256.Sum256([]byte(raw))
	if _, err := mailin.IngestMail(ctx, f.env.DB, &db.InboundMail{Mailbox: "INBOX", UIDValidity: 1, UID: uint32(f.mails),
		OpenRaw: func() io.Reader { return strings.NewReader(raw) }, RawSize: int64(len(raw)), RawSHA256: hex.EncodeToString(sum[:]),
		FromEmail: "bob@example.net", Subject: "Out of office", Auto: "Auto-Submitted: auto-replied"}, mailin.IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	kept, err := f.env.DB.KeptMail(ctx, 1)
	if err != nil || len(kept) != 1 {
		t.Fatalf("kept = %v, %v", kept, err)
	}
	return kept[0].ID
}

// newHook adds an enabled webhook to the hooks program and a report there,
// which queues a delivery to it.
func (f *matrixFixture) newHook(t testing.TB) (hook, delivery int64) {
	t.Helper()
	ctx := context.Background()
	h, err := f.env.DB.CreateWebhook(ctx, &db.NewWebhook{ProgramID: f.hooks.ID, URL: "https://hooks.example.org/fixture", Format: db.WebhookGeneric, Enabled: true}, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.env.DB.CreateReport(ctx, &db.NewReport{ProgramID: f.hooks.ID, Source: db.SourceWeb, Title: "Hooked", Description: "d",
		Reporter: db.Reporter{Credit: db.CreditAnonymous}}); err != nil {
		t.Fatal(err)
	}
	ds, err := f.env.DB.Deliveries(ctx, h.ID, 1)
	if err != nil || len(ds) != 1 {
		t.Fatalf("deliveries of a new webhook: %v, %v", ds, err)
	}
	return h.ID, ds[0].ID
}

// mailboxOf adds an intake mailbox of organisation org feeding program,
// for a case that changes or removes one.
func (f *matrixFixture) mailboxOf(t testing.TB, org, program int64) int64 {
	t.Helper()
	f.mailboxes++
	m, err := f.env.DB.CreateMailbox(context.Background(), &db.NewMailbox{Mailbox: db.Mailbox{OrgID: org, ProgramID: program,
		Addr: "imap.example.org:993", TLS: "tls", User: fmt.Sprintf("box%d", f.mailboxes)}, Password: "pw"}, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	return m.ID
}

// foreignMailbox is a mailbox of the sibling organisation.
func (f *matrixFixture) foreignMailbox(t testing.TB) int64 {
	if f.foreignBox == 0 {
		f.foreignBox = f.mailboxOf(t, f.siblingOrg.ID, f.other.ID)
	}
	return f.foreignBox
}
