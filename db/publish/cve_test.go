package publish_test

import (
	"encoding/json"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/db/cvss"
	"github.com/disclose/disclose/db/publish"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

var (
	cveSchemaOnce sync.Once
	cveSchemaC    *jsonschema.Schema
	cveSchemaErr  error
)

// cveSchema is the official CVE Record Format schema (testdata/cve, the
// whole record bundled, source and terms beside it), compiled once with
// formats asserted.
func cveSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	cveSchemaOnce.Do(func() {
		f, err := os.Open("testdata/cve/CVE_Record_Format_bundled.json")
		if err != nil {
			cveSchemaErr = err
			return
		}
		defer f.Close()
		doc, err := jsonschema.UnmarshalJSON(f)
		if err != nil {
			cveSchemaErr = err
			return
		}
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		if err := c.AddResource("cve.json", doc); err != nil {
			cveSchemaErr = err
			return
		}
		cveSchemaC, cveSchemaErr = c.Compile("cve.json")
	})
	if cveSchemaErr != nil {
		t.Fatal(cveSchemaErr)
	}
	return cveSchemaC
}

// validCVE fails t unless raw is a CVE record the official schema
// accepts, and returns it decoded.
func validCVE(t *testing.T, raw []byte) map[string]any {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	if err := cveSchema(t).Validate(v); err != nil {
		t.Errorf("CVE schema: %v\n%s", err, raw)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func cnaOf(m map[string]any) map[string]any {
	return m["containers"].(map[string]any)["cna"].(map[string]any)
}

func TestCVE(t *testing.T) {
	a := fixture()
	a.Products[0].Ecosystem, a.Products[0].Package = "npm", "acme-portal"
	raw, err := publish.CVE(a, "CVE-2026-1234", site)
	if err != nil {
		t.Fatal(err)
	}
	m := validCVE(t, raw)
	meta := m["cveMetadata"].(map[string]any)
	if m["dataType"] != "CVE_RECORD" || m["dataVersion"] != "5.1" || meta["state"] != "PUBLISHED" || meta["cveId"] != "CVE-2026-1234" ||
		meta["assignerOrgId"] != publish.CVEPlaceholderOrgID {
		t.Errorf("record head %v %v %v", m["dataType"], m["dataVersion"], meta)
	}
	cna := cnaOf(m)
	if cna["title"] != a.Title || cna["datePublic"] != "2026-03-04T09:00:00Z" {
		t.Errorf("title %v datePublic %v", cna["title"], cna["datePublic"])
	}
	desc := cna["descriptions"].([]any)[0].(map[string]any)
	if desc["lang"] != "en" || !strings.HasPrefix(desc["value"].(string), a.Summary) || !strings.Contains(desc["value"].(string), "Unescaped.") {
		t.Errorf("description %v", desc)
	}

	t.Run("Affected", func(t *testing.T) {
		aff := cna["affected"].([]any)
		p0, p1 := aff[0].(map[string]any), aff[1].(map[string]any)
		if p0["vendor"] != "Acme" || p0["product"] != "Acme Portal" || p0["collectionURL"] != "https://registry.npmjs.org" || p0["packageName"] != "acme-portal" {
			t.Errorf("first product %v", p0)
		}
		want0 := `[{"lessThan":"2.4.1","status":"affected","version":"2.0","versionType":"semver"},{"status":"unaffected","version":"2.4.1"}]`
		if got, _ := json.Marshal(p0["versions"]); string(got) != want0 || p0["defaultStatus"] != "unaffected" {
			t.Errorf("versions %s (default %v), want %s", got, p0["defaultStatus"], want0)
		}
		if _, ok := p1["packageName"]; ok {
			t.Errorf("a product outside an ecosystem has a package: %v", p1)
		}
		want1 := `[{"lessThan":"1.9","status":"affected","version":"0","versionType":"custom"}]`
		if got, _ := json.Marshal(p1["versions"]); string(got) != want1 {
			t.Errorf("versions %s, want %s", got, want1)
		}
	})
	t.Run("ProblemType", func(t *testing.T) {
		pt := cna["problemTypes"].([]any)[0].(map[string]any)["descriptions"].([]any)[0].(map[string]any)
		if pt["cweId"] != "CWE-79" || pt["type"] != "CWE" || !strings.HasPrefix(pt["description"].(string), "CWE-79 ") {
			t.Errorf("problem type %v", pt)
		}
	})
	t.Run("ScoresEqualThePortals", func(t *testing.T) {
		s3, _ := cvss.Parse(v3)
		s4, _ := cvss.Parse(v4)
		metrics := cna["metrics"].([]any)
		m4 := metrics[0].(map[string]any)["cvssV4_0"].(map[string]any)
		m3 := metrics[1].(map[string]any)["cvssV3_1"].(map[string]any)
		if m4["vectorString"] != v4 || m4["baseScore"] != s4.Score || m4["baseSeverity"] != strings.ToUpper(string(s4.Severity)) {
			t.Errorf("v4.0 %v, portal %v %v", m4, s4.Score, s4.Severity)
		}
		if m3["vectorString"] != v3 || m3["baseScore"] != s3.Score || m3["baseSeverity"] != strings.ToUpper(string(s3.Severity)) {
			t.Errorf("v3.1 %v, portal %v %v", m3, s3.Score, s3.Severity)
		}
	})
	t.Run("ReferencesAndCredits", func(t *testing.T) {
		refs, _ := json.Marshal(cna["references"])
		if want := `[{"tags":["vendor-advisory"],"url":"https://reports.acme.example/advisories/ACME-SA-2026-001"},{"url":"https://acme.example/changelog"}]`; string(refs) != want {
			t.Errorf("references %s, want %s", refs, want)
		}
		credits, _ := json.Marshal(cna["credits"])
		if want := `[{"lang":"en","type":"finder","value":"Alice"},{"lang":"en","type":"coordinator","value":"Acme PSIRT"}]`; string(credits) != want {
			t.Errorf("credits %s, want %s", credits, want)
		}
	})
	t.Run("CreditTypesSpelledAsCVE", func(t *testing.T) {
		b := fixture()
		b.Credits = append(b.Credits, db.AdvisoryCredit{ID: 4, Name: "Bob", Type: "remediation_developer"}, db.AdvisoryCredit{ID: 5, Name: "Bob", Type: "remediation_developer"})
		raw, err := publish.CVE(b, "CVE-2026-1234", site)
		if err != nil {
			t.Fatal(err)
		}
		validCVE(t, raw) // a repeated credit would break uniqueItems
		if !strings.Contains(string(raw), `"type": "remediation developer"`) {
			t.Errorf("no remediation developer in\n%s", raw)
		}
	})
	t.Run("DeclinedCreditAbsent", func(t *testing.T) {
		b := fixture()
		b.Credits[0].Declined = true // Alice declines after all
		raw, err := publish.CVE(b, "CVE-2026-1234", site)
		if err != nil {
			t.Fatal(err)
		}
		validCVE(t, raw)
		if strings.Contains(string(raw), "Alice") || strings.Count(string(raw), `"type": "finder"`) != 0 {
			t.Errorf("a declined credit appears:\n%s", raw)
		}
	})
	t.Run("Draft", func(t *testing.T) {
		b := fixture()
		b.State, b.Revisions = db.AdvisoryDraft, nil // PublishedAt kept: a draft still has no public date
		raw, err := publish.CVE(b, "CVE-2026-1234", site)
		if err != nil {
			t.Fatal(err)
		}
		if m := cnaOf(validCVE(t, raw)); m["datePublic"] != nil {
			t.Errorf("a draft has a public date %v", m["datePublic"])
		}
	})
	t.Run("Withdrawn", func(t *testing.T) {
		b := fixture()
		b.State, b.WithdrawnAt = db.AdvisoryWithdrawn, b.PublishedAt.AddDate(0, 1, 0)
		raw, err := publish.CVE(b, "CVE-2026-1234", site)
		if err != nil {
			t.Fatal(err)
		}
		m := validCVE(t, raw)
		meta := m["cveMetadata"].(map[string]any)
		if meta["state"] != "REJECTED" || meta["dateRejected"] != "2026-04-04T09:00:00Z" {
			t.Errorf("withdrawn advisory's record %v", meta)
		}
		reason := cnaOf(m)["rejectedReasons"].([]any)[0].(map[string]any)["value"].(string)
		if !strings.Contains(reason, "ACME-SA-2026-001") || strings.Contains(string(raw), "Alice") {
			t.Errorf("rejected record %s", raw)
		}
	})
	t.Run("ErrCVENotOfAdvisory", func(t *testing.T) {
		for _, id := range []string{"CVE-2026-9999", "cve-2026-1234", "", "CVE-2026-1234 "} {
			if _, err := publish.CVE(a, id, site); db.ErrorCode(err) != db.ENOTFOUND {
				t.Errorf("%q: %v, want not found", id, err)
			}
		}
	})
	t.Run("Ranges", func(t *testing.T) {
		b := fixture()
		b.Products = []db.AffectedProduct{{Product: "P", Affected: "<= 3.0"}, {Product: "Q", Affected: ">= 1.2"},
			{Product: "R", Affected: "1.4.2, 1.4.3", Fixed: "1.4.4"}, {Product: "S", Affected: "all versions before the 2024 release"},
			{Product: "T", Affected: "<", Fixed: "2"}, {Product: "U", Affected: ">= 1.0, < 1.9.3", Fixed: "1.9.3", Ecosystem: "PyPI", Package: "u"}}
		raw, err := publish.CVE(b, "CVE-2026-1234", site)
		if err != nil {
			t.Fatal(err)
		}
		aff := cnaOf(validCVE(t, raw))["affected"].([]any)
		want := []string{
			`{"defaultStatus":"unaffected","product":"P","vendor":"Acme","versions":[{"lessThanOrEqual":"3.0","status":"affected","version":"0","versionType":"custom"}]}`,
			`{"defaultStatus":"unaffected","product":"Q","vendor":"Acme","versions":[{"lessThan":"*","status":"affected","version":"1.2","versionType":"custom"}]}`,
			`{"defaultStatus":"unaffected","product":"R","vendor":"Acme","versions":[{"status":"affected","version":"1.4.2"},{"status":"affected","version":"1.4.3"},{"status":"unaffected","version":"1.4.4"}]}`,
			`{"defaultStatus":"unknown","product":"S","vendor":"Acme","versions":[{"status":"affected","version":"all versions before the 2024 release"}]}`,
			`{"defaultStatus":"unknown","product":"T","vendor":"Acme","versions":[{"lessThan":"2","status":"affected","version":"0","versionType":"custom"},{"status":"unaffected","version":"2"}]}`,
			`{"collectionURL":"https://pypi.python.org","defaultStatus":"unaffected","packageName":"u","product":"U","vendor":"Acme","versions":[{"lessThan":"1.9.3","status":"affected","version":"1.0","versionType":"python"},{"status":"unaffected","version":"1.9.3"}]}`,
		}
		for i, w := range want {
			if got, _ := json.Marshal(aff[i]); string(got) != w {
				t.Errorf("product %d:\n got %s\nwant %s", i, got, w)
			}
		}
	})
	t.Run("NamelessOrganisation", func(t *testing.T) {
		raw, err := publish.CVE(fixture(), "CVE-2026-1234", publish.Site{BaseURL: site.BaseURL})
		if err != nil {
			t.Fatal(err)
		}
		if aff := cnaOf(validCVE(t, raw))["affected"].([]any)[0].(map[string]any); aff["vendor"] != "N/A" {
			t.Errorf("vendor %v", aff["vendor"])
		}
	})
	t.Run("LongTextStaysInBounds", func(t *testing.T) {
		b := fixture()
		b.Details = strings.Repeat("x", 5000)
		b.Workarounds = strings.Repeat("y", 5000)
		b.References = []string{site.PageURL(b), "https://acme.example/a", "https://acme.example/a"}
		raw, err := publish.CVE(b, "CVE-2026-1234", site)
		if err != nil {
			t.Fatal(err)
		}
		validCVE(t, raw)
		if !strings.Contains(string(raw), "Details: "+site.PageURL(b)) {
			t.Errorf("long details not pointed to:\n%.600s", raw)
		}
	})
	t.Run("ErrSchemaCatches", func(t *testing.T) {
		// The schema is really applied: a score whose severity disagrees fails.
		bad := strings.Replace(string(raw), `"baseSeverity": "MEDIUM"`, `"baseSeverity": "CRITICAL"`, 1)
		if bad == string(raw) {
			t.Fatal("fixture has no MEDIUM severity")
		}
		v, _ := jsonschema.UnmarshalJSON(strings.NewReader(bad))
		if cveSchema(t).Validate(v) == nil {
			t.Error("the schema accepted a medium score rated critical")
		}
		v, _ = jsonschema.UnmarshalJSON(strings.NewReader(strings.Replace(string(raw), publish.CVEPlaceholderOrgID, "not-a-uuid", 1)))
		if cveSchema(t).Validate(v) == nil {
			t.Error("the schema accepted an org id that is no UUID")
		}
	})
}
