package handlers_test

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
)

// advisoryPortal is the org portal with two triagers and a viewer of the
// client organisation, and a report of its program by a reporter who
// asked to be credited by handle.
type advisoryPortal struct {
	*orgPortal
	author, approver, viewer *browser
	report                   *db.Report
	code                     string
}

const clientSite = "reports.client.example"

func newAdvisoryPortal(t *testing.T, credit db.Credit, name string, opts ...portalOption) *advisoryPortal {
	t.Helper()
	ctx := context.Background()
	p := &advisoryPortal{orgPortal: newOrgPortal(t, opts...)}
	member := func(email string, role db.Role) *browser {
		u := p.mustUser(t, email, db.RoleViewer)
		if err := p.DB.SetOrgMember(ctx, p.client.ID, u.ID, role, db.ActorSystem); err != nil {
			t.Fatal(err)
		}
		b := p.browser(t)
		b.mustLogin(email)
		return b
	}
	p.author, p.approver, p.viewer = member("tina@client.example", db.RoleTriager), member("anna@client.example", db.RoleTriager), member("vic@client.example", db.RoleViewer)
	rc, err := p.DB.CreateReport(ctx, &db.NewReport{ProgramID: p.prog.ID, Source: db.SourceWeb, Title: "XSS in the shop",
		Description: "The name is not escaped.", Reporter: db.Reporter{Name: name, Email: "r@example.net", Credit: credit}})
	if err != nil {
		t.Fatal(err)
	}
	p.code = rc.Code
	if p.report, err = p.DB.ReportByID(ctx, rc.ReportID); err != nil {
		t.Fatal(err)
	}
	return p
}

const (
	testCVSS4 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:P/VC:L/VI:L/VA:N/SC:L/SI:L/SA:N"
	testCVSS3 = "CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N"
)

// draft posts the new-advisory form as the author and returns its ident.
func (p *advisoryPortal) draft(t *testing.T, publishAt time.Time, details string) string {
	t.Helper()
	p.author.get("/orgs/client/advisories/new?report=" + p.report.Ref())
	form := url.Values{"reports": {p.report.Ref()}, "title": {"Stored XSS in the shop"}, "summary": {"A name could run script."},
		"details": {details}, "products": {"Client Shop | < 2.4.1 | 2.4.1"}, "cvss3": {testCVSS3}, "cvss4": {testCVSS4},
		"cwe": {"CWE-79"}, "cves": {"CVE-2026-1234"}, "references": {"https://client.example/changelog"}, "credits": {"Client PSIRT | coordinator"}}
	if !publishAt.IsZero() {
		form.Set("publish_at", publishAt.UTC().Format(time.RFC3339))
	}
	pg := p.author.post("/orgs/client/advisories", form)
	if pg.Status != http.StatusSeeOther {
		t.Fatalf("draft: %d %s", pg.Status, regexpFind(`data-testid="error-summary"[^<]*`, pg.Body))
	}
	return strings.TrimSuffix(strings.TrimPrefix(pg.Location, "/orgs/client/advisories/"), "?done=saved")
}

// step presses a state button on the advisory's page as b.
func step(t *testing.T, b *browser, ident, action string) page {
	t.Helper()
	doc := parse(t, b.get("/orgs/client/advisories/"+ident))
	version := doc.Find(`form[action$="/`+action+`"] input[name=version]`).AttrOr("value", "")
	if version == "" {
		version = doc.Find(`input[name=version]`).AttrOr("value", "")
	}
	return b.post("/orgs/client/advisories/"+ident+"/"+action, url.Values{"version": {version}})
}

// TestAdvisoryFlow: a triager drafts from a report, the same triager
// cannot approve, a second one does; until the embargo ends nothing is
// public; the reporter changes the proposed credit meanwhile; at the moment
// the publisher publishes, and the public page, feed, acknowledgements and
// security.txt of the client's host show it with the reporter's credit and
// the portal's scores.
func TestAdvisoryFlow(t *testing.T) {
	ctx := context.Background()
	p := newAdvisoryPortal(t, db.CreditHandle, "alice")
	moment := p.clock.Now().Add(72 * time.Hour).Truncate(time.Second)
	ident := p.draft(t, moment, "Details with `code`.")
	if !strings.HasPrefix(ident, "CLIENT-SA-") {
		t.Fatalf("ident = %q", ident)
	}
	// The viewer reads the draft, and may not change it.
	if pg := p.viewer.get("/orgs/client/advisories/" + ident); pg.Status != http.StatusOK || !strings.Contains(pg.Body, "alice") {
		t.Errorf("viewer reads the draft: %d", pg.Status)
	}
	if pg := step(t, p.viewer, ident, "submit"); pg.Status != http.StatusForbidden {
		t.Errorf("viewer submits: %d, want 403", pg.Status)
	}
	if pg := step(t, p.author, ident, "submit"); pg.Status != http.StatusSeeOther {
		t.Fatalf("submit: %d", pg.Status)
	}
	pg := p.author.get("/orgs/client/advisories/" + ident)
	if !strings.Contains(pg.Body, `data-testid="approve-other"`) || strings.Contains(pg.Body, `data-testid="approve"`) {
		t.Error("the author is offered to approve their own advisory")
	}
	if pg := step(t, p.author, ident, "approve"); pg.Status != http.StatusForbidden {
		t.Fatalf("the author approves: %d, want 403", pg.Status)
	}
	// The reporter sees the proposed credit and changes it.
	reporter := p.at(t, clientSite)
	reporter.get("/status")
	if pg := reporter.post("/status", url.Values{"code": {p.code}}); pg.Status != http.StatusSeeOther {
		t.Fatalf("status login: %d", pg.Status)
	}
	doc := parse(t, reporter.get("/status"))
	if got := doc.Find(`[data-testid=credit-name]`).Text(); got != "alice" {
		t.Errorf("proposed credit = %q, want the form's handle", got)
	}
	credit := doc.Find(`input[name=credit]`).AttrOr("value", "")
	if pg := reporter.post("/status/credit", url.Values{"credit": {credit}, "name": {"Alice Liddell"}}); pg.Status != http.StatusSeeOther {
		t.Fatalf("credit: %d", pg.Status)
	}

	if pg := step(t, p.approver, ident, "approve"); pg.Status != http.StatusSeeOther {
		t.Fatalf("approve: %d", pg.Status)
	}
	// Approved: the reporter may still stay anonymous, not rename.
	if doc := parse(t, reporter.get("/status")); doc.Find(`input[name=name]`).Length() != 0 || doc.Find(`[data-testid=credit-decline]`).Length() != 1 {
		t.Error("after approval the status page still offers a new name, or no longer anonymity")
	}

	public := p.at(t, clientSite)
	before := func(when string) {
		t.Helper()
		for _, path := range []string{"/advisories/" + ident, "/advisories/" + strings.ToLower(ident)} {
			if pg := public.get(path); pg.Status != http.StatusNotFound {
				t.Errorf("%s: %s is %d, want 404", when, path, pg.Status)
			}
		}
		for _, path := range []string{"/advisories", "/advisories.atom", "/acknowledgements"} {
			if pg := public.get(path); strings.Contains(pg.Body, ident) || strings.Contains(pg.Body, "Stored XSS") {
				t.Errorf("%s: %s shows the advisory", when, path)
			}
		}
	}
	before("scheduled")

	p.clock.Advance(72*time.Hour - 2*time.Second)
	if n, err := p.DB.PublishDue(ctx); err != nil || n != 0 {
		t.Fatalf("early: %d %v", n, err)
	}
	before("a second before")
	p.clock.Advance(2 * time.Second)
	if n, err := p.DB.PublishDue(ctx); err != nil || n != 1 {
		t.Fatalf("at the moment: %d %v", n, err)
	}

	pg = public.get("/advisories/" + ident)
	if pg.Status != http.StatusOK {
		t.Fatalf("public page: %d", pg.Status)
	}
	doc = parse(t, pg)
	v4, _ := db.ParseAnyCVSS(testCVSS4)
	v3, _ := db.ParseAnyCVSS(testCVSS3)
	if got := doc.Find(`[data-testid=cvss4-score]`).Text(); got != formatScore(v4.Score) {
		t.Errorf("v4 score = %q, want %v", got, v4.Score)
	}
	if got := doc.Find(`[data-testid=cvss3-score]`).Text(); got != formatScore(v3.Score) {
		t.Errorf("v3 score = %q, want %v", got, v3.Score)
	}
	credits := doc.Find(`[data-testid=public-credits]`).Text()
	if !strings.Contains(credits, "Alice Liddell") || strings.Contains(credits, "alice\n") || !strings.Contains(credits, "Client PSIRT") {
		t.Errorf("credits = %q", credits)
	}
	if doc.Find("script:not([src])").Length() != 0 || doc.Find("noscript").Length() != 0 {
		t.Error("the public page needs script to read") // the layout's print.js only adds a button
	}
	if pg := public.get("/advisories"); !strings.Contains(pg.Body, ident) {
		t.Error("the list does not show the advisory")
	}
	var feed struct {
		Entries []struct {
			ID    string `xml:"id"`
			Title string `xml:"title"`
		} `xml:"entry"`
	}
	atom := public.get("/advisories.atom")
	if err := xml.Unmarshal([]byte(atom.Body), &feed); err != nil || len(feed.Entries) != 1 || !strings.HasSuffix(feed.Entries[0].ID, "/advisories/"+ident) {
		t.Errorf("feed = %+v, %v", feed, err)
	}
	if !strings.HasPrefix(atom.Header.Get("Content-Type"), "application/atom+xml") {
		t.Errorf("feed type %q", atom.Header.Get("Content-Type"))
	}
	if pg := public.get("/acknowledgements"); !strings.Contains(pg.Body, "Alice Liddell") {
		t.Error("the acknowledgements do not name the reporter")
	}
	if pg := public.get("/.well-known/security.txt"); !strings.Contains(pg.Body, "Acknowledgments: http://"+clientSite+"/acknowledgements\n") {
		t.Errorf("security.txt:\n%s", pg.Body)
	}
	// The reporter's credit is settled now (their session ended with the
	// days that passed: a new one).
	reporter.get("/status")
	reporter.post("/status", url.Values{"code": {p.code}})
	reporter.get("/status")
	if pg := reporter.post("/status/credit", url.Values{"credit": {credit}, "name": {"Someone else"}}); pg.Status != http.StatusConflict {
		t.Errorf("credit change after publication: %d, want 409", pg.Status)
	}
	// Other hosts serve other organisations: not found there.
	for _, host := range []string{"reports.agency.example", "portal.example"} {
		if pg := p.at(t, host).get("/advisories/" + ident); pg.Status != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", host, pg.Status)
		}
	}
}

func formatScore(f float64) string { return fmt.Sprintf("%.1f", f) }

// TestAdvisoryAnonymousReporter: a reporter who chose anonymity is named
// on no public page, whatever name they gave the form.
func TestAdvisoryAnonymousReporter(t *testing.T) {
	p := newAdvisoryPortal(t, db.CreditAnonymous, "Secret Person")
	ident := p.draft(t, time.Time{}, "<script>alert(1)</script>Details.")
	step(t, p.author, ident, "submit")
	if pg := step(t, p.approver, ident, "approve"); pg.Status != http.StatusSeeOther {
		t.Fatalf("approve: %d", pg.Status)
	}
	public := p.at(t, clientSite)
	for _, path := range []string{"/advisories", "/advisories/" + ident, "/advisories.atom", "/acknowledgements", "/.well-known/security.txt",
		"/advisories/" + ident + "/cve/CVE-2026-1234.json"} {
		pg := public.get(path)
		if pg.Status != http.StatusOK {
			t.Fatalf("%s: %d", path, pg.Status)
		}
		if strings.Contains(pg.Body, "Secret Person") || strings.Contains(pg.Body, "r@example.net") {
			t.Errorf("%s names the anonymous reporter", path)
		}
		if strings.Contains(pg.Body, "<script>alert") {
			t.Errorf("%s carries the details' script", path)
		}
	}
}

// TestAdvisoryRevision: a published advisory gets numbered revisions with
// their summaries, and a withdrawal stays readable, marked.
func TestAdvisoryRevision(t *testing.T) {
	p := newAdvisoryPortal(t, db.CreditName, "Alice")
	ident := p.draft(t, time.Time{}, "")
	step(t, p.author, ident, "submit")
	step(t, p.approver, ident, "approve")
	doc := parse(t, p.author.get("/orgs/client/advisories/"+ident))
	form := url.Values{"version": {doc.Find(`form[data-testid=advisory-form] input[name=version]`).AttrOr("value", "")},
		"title": {"Stored XSS in the shop"}, "summary": {"A name could run script."}, "products": {"Client Shop | < 2.4.2 | 2.4.2"}}
	if pg := p.author.post("/orgs/client/advisories/"+ident, form); pg.Status != http.StatusUnprocessableEntity {
		t.Errorf("a revision without a summary: %d, want 422", pg.Status)
	}
	form.Set("change", "The fix shipped in 2.4.2.")
	if pg := p.author.post("/orgs/client/advisories/"+ident, form); pg.Status != http.StatusSeeOther {
		t.Fatalf("revise: %d", pg.Status)
	}
	public := p.at(t, clientSite)
	doc = parse(t, public.get("/advisories/"+ident))
	if got := doc.Find(`[data-testid=revisions] li`).Length(); got != 2 || !strings.Contains(doc.Find(`[data-testid=revisions]`).Text(), "The fix shipped in 2.4.2.") {
		t.Errorf("revisions = %d: %q", got, doc.Find(`[data-testid=revisions]`).Text())
	}
	doc = parse(t, p.author.get("/orgs/client/advisories/"+ident))
	version := doc.Find(`form[action$="/withdraw"] input[name=version]`).AttrOr("value", "")
	if pg := p.author.post("/orgs/client/advisories/"+ident+"/withdraw", url.Values{"version": {version}, "reason": {"Not a vulnerability."}}); pg.Status != http.StatusSeeOther {
		t.Fatalf("withdraw: %d", pg.Status)
	}
	if pg := public.get("/advisories/" + ident); pg.Status != http.StatusOK || !strings.Contains(pg.Body, `data-testid="withdrawn"`) {
		t.Errorf("withdrawn advisory: %d", pg.Status)
	}
	if pg := public.get("/acknowledgements"); strings.Contains(pg.Body, ident) {
		t.Error("a withdrawn advisory's credits are still acknowledged")
	}
}
