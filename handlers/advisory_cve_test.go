package handlers_test

import (
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// validCVERecord fails t unless body is a CVE record the official CVE
// Record Format schema accepts (db/publish/testdata/cve).
func validCVERecord(t *testing.T, body string) {
	t.Helper()
	f, err := os.Open("../db/publish/testdata/cve/CVE_Record_Format_bundled.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("cve.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("cve.json")
	if err != nil {
		t.Fatal(err)
	}
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(body))
	if err != nil {
		t.Fatalf("%v\n%s", err, body)
	}
	if err := s.Validate(v); err != nil {
		t.Errorf("CVE schema: %v\n%s", err, body)
	}
}

// TestAdvisoryCVE: staff download the CVE record of a draft (never cached,
// linked from the advisory's page); the public gets nothing of it until
// the embargo ends, then a valid record linked as "CVE JSON" from the
// page; a CVE the advisory does not name is 404 everywhere; a credit the
// reporter declined is in no record; a withdrawn advisory's record is
// REJECTED.
func TestAdvisoryCVE(t *testing.T) {
	ctx := t.Context()
	p := newAdvisoryPortal(t, db.CreditHandle, "alice")
	moment := p.clock.Now().Add(72 * time.Hour).Truncate(time.Second)
	ident := p.draft(t, moment, "Details.")
	staffURL := "/orgs/client/advisories/" + ident + "/cve/CVE-2026-1234"
	publicURL := "/advisories/" + ident + "/cve/CVE-2026-1234.json"

	pg := p.viewer.get(staffURL)
	if pg.Status != http.StatusOK || pg.Header.Get("Cache-Control") != "no-store" ||
		pg.Header.Get("Content-Disposition") != `attachment; filename="CVE-2026-1234.json"` {
		t.Fatalf("staff download: %d %q %q", pg.Status, pg.Header.Get("Cache-Control"), pg.Header.Get("Content-Disposition"))
	}
	validCVERecord(t, pg.Body)
	if !strings.Contains(pg.Body, `"value": "alice"`) || strings.Contains(pg.Body, `"datePublic"`) {
		t.Errorf("draft record: no proposed credit, or a public date:\n%s", pg.Body)
	}
	if doc := parse(t, p.viewer.get("/orgs/client/advisories/"+ident)); doc.Find(`[data-testid=cve-exports] a[href="`+staffURL+`"]`).Length() != 1 {
		t.Error("the advisory's page does not link the CVE record")
	}
	for _, u := range []string{"/orgs/client/advisories/" + ident + "/cve/CVE-2026-9999", "/orgs/client/advisories/" + ident + "/cve/cve-2026-1234"} {
		if pg := p.viewer.get(u); pg.Status != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", u, pg.Status)
		}
	}

	// The reporter declines the proposed credit.
	reporter := p.at(t, clientSite)
	reporter.get("/status")
	if pg := reporter.post("/status", url.Values{"code": {p.code}}); pg.Status != http.StatusSeeOther {
		t.Fatalf("status login: %d", pg.Status)
	}
	credit := parse(t, reporter.get("/status")).Find(`input[name=credit]`).AttrOr("value", "")
	if pg := reporter.post("/status/credit", url.Values{"credit": {credit}, "decline": {"1"}}); pg.Status != http.StatusSeeOther {
		t.Fatalf("decline: %d", pg.Status)
	}

	step(t, p.author, ident, "submit")
	if pg := step(t, p.approver, ident, "approve"); pg.Status != http.StatusSeeOther {
		t.Fatalf("approve: %d", pg.Status)
	}
	public := p.at(t, clientSite)
	if pg := public.get(publicURL); pg.Status != http.StatusNotFound {
		t.Errorf("scheduled: %s is %d, want 404", publicURL, pg.Status)
	}
	p.clock.Advance(72 * time.Hour)
	if _, err := p.DB.PublishDue(ctx); err != nil {
		t.Fatal(err)
	}
	pg = public.get(publicURL)
	if pg.Status != http.StatusOK || pg.Header.Get("Cache-Control") != "public, max-age=300" {
		t.Fatalf("published: %s is %d %q", publicURL, pg.Status, pg.Header.Get("Cache-Control"))
	}
	validCVERecord(t, pg.Body)
	if !strings.Contains(pg.Body, `"datePublic": "`+moment.UTC().Format(time.RFC3339)+`"`) {
		t.Errorf("no public date %s in\n%s", moment.UTC().Format(time.RFC3339), pg.Body)
	}
	author := p.browser(t) // the sessions of three days ago have expired
	author.mustLogin("tina@client.example")
	if staff := author.get(staffURL); staff.Status != http.StatusOK || strings.Contains(pg.Body+staff.Body, "alice") {
		t.Errorf("a declined credit is in the CVE record (staff download: %d)", staff.Status)
	}
	if !strings.Contains(public.get("/advisories/"+ident).Body, `href="`+publicURL+`">CVE JSON (CVE-2026-1234)</a>`) {
		t.Error("the public page does not link the CVE record by name")
	}
	for _, u := range []string{"/advisories/" + ident + "/cve/CVE-2026-9999.json", "/advisories/" + ident + "/cve/CVE-2026-1234",
		"/advisories/" + ident + "/cve/CVE-2026-1234.json.json"} {
		if pg := public.get(u); pg.Status != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", u, pg.Status)
		}
	}
	if pg := p.at(t, "reports.agency.example").get(publicURL); pg.Status != http.StatusNotFound {
		t.Errorf("another organisation's host: %d", pg.Status)
	}

	// Withdrawn: the record becomes the REJECTED one a CNA submits.
	version := parse(t, author.get("/orgs/client/advisories/"+ident)).Find(`form[action$="/withdraw"] input[name=version]`).AttrOr("value", "")
	if pg := author.post("/orgs/client/advisories/"+ident+"/withdraw", url.Values{"version": {version}, "reason": {"Not a vulnerability."}}); pg.Status != http.StatusSeeOther {
		t.Fatalf("withdraw: %d", pg.Status)
	}
	pg = public.get(publicURL)
	if pg.Status != http.StatusOK || !strings.Contains(pg.Body, `"state": "REJECTED"`) || strings.Contains(pg.Body, `"affected"`) {
		t.Errorf("withdrawn: %d\n%s", pg.Status, pg.Body)
	}
	validCVERecord(t, pg.Body)
}
