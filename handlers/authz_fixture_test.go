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
	email     string
	b         *browser
}

func (s *subject) staff() bool   { return s.role != "" }
func (s *subject) seesOwn() bool { return s.role == db.RoleAdmin || s.member }
func (s *subject) writes() bool  { return s.role == db.RoleAdmin || s.role == db.RoleTriager }

// matrixFixture is a portal with what every route of the table needs: three
// programs (own: the reports', other, hooks: the webhooks'), the subjects,
// and the objects path parameters name.
type matrixFixture struct {
	*triageFixture
	t     *testing.T
	hooks *db.Program
	key   *pgp.TeamKey

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
	someoneB                          *browser // signed in as someone (another session than someoneSession)
	inviteToken                       string
	kept, outboxMail                  int64
	otherDelivery                     int64 // a delivery of a webhook the case does not name
}

func newMatrixFixture(t *testing.T) *matrixFixture {
	t.Helper()
	ctx := context.Background()
	key := newTeamKey(t)
	p := newPortal(t, configure(func(c *handlers.Config) {
		c.SecurityEmail, c.TeamKey, c.KeyControl, c.MetricsToken = "security@example.org", key, key, matrixToken
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
	} {
		if s.staff() {
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
	return f
}

// connect gives s a fresh browser in its state: signed in, holding its
// status session or the metrics token, and a CSRF token in any case.
func (f *matrixFixture) connect(t testing.TB, s *subject) {
	t.Helper()
	s.b = f.env.browser(f.t)
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
