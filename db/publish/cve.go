package publish

import (
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/db/cvss"
	"github.com/disclose/disclose/db/cwe"
)

// cveDataVersion is the CVE Record Format version the records follow.
const cveDataVersion = "5.1"

// CVEPlaceholderOrgID stands for the CNA's organisation UUID in
// cveMetadata.assignerOrgId and providerMetadata.orgId: disclose does not
// know it, and the schema requires a version 4 UUID there. The CNA puts its
// own in before submitting (CVE Services also sets providerMetadata itself
// from the submitting account).
const CVEPlaceholderOrgID = "00000000-0000-4000-8000-000000000000"

type cveRecord struct {
	DataType    string        `json:"dataType"`
	DataVersion string        `json:"dataVersion"`
	CVEMetadata cveMetadata   `json:"cveMetadata"`
	Containers  cveContainers `json:"containers"`
}

type cveMetadata struct {
	CVEID         string `json:"cveId"`
	AssignerOrgID string `json:"assignerOrgId"`
	State         string `json:"state"`
	DateRejected  string `json:"dateRejected,omitempty"`
}

type cveContainers struct {
	CNA any `json:"cna"`
}

type cveProvider struct {
	OrgID string `json:"orgId"`
}

type cveCNA struct {
	ProviderMetadata cveProvider      `json:"providerMetadata"`
	DatePublic       string           `json:"datePublic,omitempty"`
	Title            string           `json:"title"`
	Descriptions     []cveText        `json:"descriptions"`
	Affected         []cveProduct     `json:"affected"`
	ProblemTypes     []cveProblemType `json:"problemTypes,omitempty"`
	Metrics          []cveMetric      `json:"metrics,omitempty"`
	Workarounds      []cveText        `json:"workarounds,omitempty"`
	Solutions        []cveText        `json:"solutions,omitempty"`
	References       []cveRef         `json:"references"`
	Credits          []cveCredit      `json:"credits,omitempty"`
}

type cveRejected struct {
	ProviderMetadata cveProvider `json:"providerMetadata"`
	RejectedReasons  []cveText   `json:"rejectedReasons"`
}

type cveText struct {
	Lang  string `json:"lang"`
	Value string `json:"value"`
}

type cveProduct struct {
	Vendor        string       `json:"vendor"`
	Product       string       `json:"product"`
	CollectionURL string       `json:"collectionURL,omitempty"`
	PackageName   string       `json:"packageName,omitempty"`
	DefaultStatus string       `json:"defaultStatus"`
	Versions      []cveVersion `json:"versions,omitempty"`
}

type cveVersion struct {
	Version         string `json:"version"`
	Status          string `json:"status"`
	VersionType     string `json:"versionType,omitempty"`
	LessThan        string `json:"lessThan,omitempty"`
	LessThanOrEqual string `json:"lessThanOrEqual,omitempty"`
}

type cveProblemType struct {
	Descriptions []cveProblem `json:"descriptions"`
}

type cveProblem struct {
	Lang        string `json:"lang"`
	Description string `json:"description"`
	CWEID       string `json:"cweId"`
	Type        string `json:"type"`
}

type cveMetric struct {
	CVSSv4 *cvssJSON `json:"cvssV4_0,omitempty"`
	CVSSv3 *cvssJSON `json:"cvssV3_1,omitempty"`
}

// cvssJSON is FIRST's CVSS JSON object with its required members.
type cvssJSON struct {
	Version      string  `json:"version"`
	VectorString string  `json:"vectorString"`
	BaseScore    float64 `json:"baseScore"`
	BaseSeverity string  `json:"baseSeverity"`
}

type cveRef struct {
	URL  string   `json:"url"`
	Tags []string `json:"tags,omitempty"`
}

type cveCredit struct {
	Lang  string `json:"lang"`
	Value string `json:"value"`
	Type  string `json:"type"`
}

// cveCollections are the package collections (the schema's examples of
// collectionURL) of the OSV ecosystems that have one.
var cveCollections = map[string]string{
	"npm": "https://registry.npmjs.org", "PyPI": "https://pypi.python.org", "crates.io": "https://crates.io",
	"Go": "https://golang.org/pkg", "Maven": "https://repo.maven.apache.org/maven2", "RubyGems": "https://rubygems.org",
	"NuGet": "https://nuget.org/packages", "Packagist": "https://packagist.org", "Hex": "https://repo.hex.pm",
	"Pub": "https://pub.dev", "Hackage": "https://hackage.haskell.org", "CRAN": "https://cran.r-project.org",
}

// cveVersionTypes are the version schemes of ecosystems with a known one;
// any other range is "custom" (the schema's word for unspecified).
var cveVersionTypes = map[string]string{"npm": "semver", "crates.io": "semver", "Go": "semver", "PyPI": "python", "Maven": "maven"}

// CVE is the record a CNA submits for one CVE ID of the advisory: the
// CVE Record Format's CNA container with the advisory's text, products
// and version ranges, CWE, both CVSS vectors with the portal's scores,
// references and public credits. A CVE ID the advisory does not name is
// ENOTFOUND. A withdrawn advisory's record is REJECTED (the ID should no
// longer be used, with the withdrawal as the reason): that is the record a
// CNA submits when the advisory that described the vulnerability is taken
// back. Both org UUIDs are CVEPlaceholderOrgID for the CNA to replace.
func CVE(a *db.Advisory, cveID string, site Site) ([]byte, error) {
	if !hasCVE(a, cveID) {
		return nil, db.Errorf(db.ENOTFOUND, "advisory %s has no %s", a.Ident, cutTo(cveID, 40))
	}
	rec := cveRecord{DataType: "CVE_RECORD", DataVersion: cveDataVersion,
		CVEMetadata: cveMetadata{CVEID: cveID, AssignerOrgID: CVEPlaceholderOrgID, State: "PUBLISHED"}}
	provider := cveProvider{OrgID: CVEPlaceholderOrgID}
	if a.State == db.AdvisoryWithdrawn {
		rec.CVEMetadata.State, rec.CVEMetadata.DateRejected = "REJECTED", rfc3339(a.WithdrawnAt)
		rec.Containers.CNA = cveRejected{ProviderMetadata: provider, RejectedReasons: []cveText{{Lang: "en",
			Value: "This candidate is withdrawn: " + site.Name + " withdrew advisory " + a.Ident + " (" + a.Title + "), which described it, on " + a.WithdrawnAt.UTC().Format("2006-01-02") + "."}}}
		return json.MarshalIndent(rec, "", "  ")
	}
	cna := cveCNA{ProviderMetadata: provider, Title: a.Title, Descriptions: []cveText{{Lang: "en", Value: cveDescription(a, site)}}}
	if !a.PublishedAt.IsZero() && a.State.Public() {
		cna.DatePublic = rfc3339(a.PublishedAt)
	}
	for _, p := range a.Products {
		cna.Affected = append(cna.Affected, cveAffected(p, site.Name))
	}
	if w, ok := cwe.Lookup(a.CWE); ok {
		cna.ProblemTypes = []cveProblemType{{Descriptions: []cveProblem{{Lang: "en", Description: w.ID + " " + w.Name, CWEID: w.ID, Type: "CWE"}}}}
	}
	if a.CVSS4 != "" {
		cna.Metrics = append(cna.Metrics, cveMetric{CVSSv4: cvssOf("4.0", a.CVSS4, a.CVSS4Score)})
	}
	if a.CVSS3 != "" {
		cna.Metrics = append(cna.Metrics, cveMetric{CVSSv3: cvssOf("3.1", a.CVSS3, a.CVSS3Score)})
	}
	if w := strings.TrimSpace(a.Workarounds); w != "" {
		if utf8.RuneCountInString(w) > cveTextMax {
			w = "See the workarounds in the advisory: " + site.PageURL(a)
		}
		cna.Workarounds = []cveText{{Lang: "en", Value: w}}
	}
	for _, p := range a.Products {
		if p.Fixed != "" {
			cna.Solutions = append(cna.Solutions, cveText{Lang: "en", Value: "Update " + p.Product + " to version " + p.Fixed + " or later."})
		}
	}
	cna.Solutions = uniq(cna.Solutions)
	cna.References = []cveRef{{URL: site.PageURL(a), Tags: []string{"vendor-advisory"}}}
	seen := map[string]bool{site.PageURL(a): true}
	for _, u := range a.References {
		if !seen[u] {
			seen[u] = true
			cna.References = append(cna.References, cveRef{URL: u})
		}
	}
	for _, c := range a.PublicCredits() {
		cna.Credits = append(cna.Credits, cveCredit{Lang: "en", Value: c.Name, Type: strings.ReplaceAll(string(c.Type), "_", " ")})
	}
	cna.Credits = uniq(cna.Credits)
	rec.Containers.CNA = cna
	return json.MarshalIndent(rec, "", "  ")
}

// cveTextMax is the schema's bound on a description's value (characters).
const cveTextMax = 4096

// cveDescription is the summary and, when the whole fits the schema's
// bound, the details; else the summary and where the details are (a
// description cut mid-way would misstate the vulnerability).
func cveDescription(a *db.Advisory, site Site) string {
	s := strings.TrimSpace(a.Summary)
	if d := strings.TrimSpace(a.Details); d != "" {
		if utf8.RuneCountInString(s)+2+utf8.RuneCountInString(d) <= cveTextMax {
			return s + "\n\n" + d
		}
		return cutTo(s, cveTextMax-200) + "\n\nDetails: " + site.PageURL(a)
	}
	return cutTo(s, cveTextMax)
}

func cvssOf(version, vector string, score float64) *cvssJSON {
	return &cvssJSON{Version: version, VectorString: vector, BaseScore: score, BaseSeverity: strings.ToUpper(string(cvss.SeverityOf(score)))}
}

// cveAffected is a product with its versions: the range as affected
// (from its lower bound or 0, less than its upper bound or the fixed
// version), an exact version as affected, the fixed version as
// unaffected. Versions not listed are unaffected when every part of the
// range was understood, else unknown: a range the reader cannot parse is
// not a claim about the versions outside it.
func cveAffected(p db.AffectedProduct, vendor string) cveProduct {
	if strings.TrimSpace(vendor) == "" {
		vendor = "N/A" // the schema's word when no vendor applies
	}
	out := cveProduct{Vendor: vendor, Product: p.Product, DefaultStatus: "unaffected"}
	if u, ok := cveCollections[p.Ecosystem]; ok && p.Package != "" {
		out.CollectionURL, out.PackageName = u, p.Package
	}
	vt := cveVersionTypes[p.Ecosystem]
	if vt == "" {
		vt = "custom"
	}
	from, below, upTo := "0", "", ""
	var exact []string
	for _, part := range strings.Split(p.Affected, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		op, v := "", part
		for _, o := range []string{">=", "<=", "<", "="} {
			if rest, ok := strings.CutPrefix(part, o); ok {
				op, v = o, strings.TrimSpace(rest)
				break
			}
		}
		switch {
		case v == "":
			out.DefaultStatus = "unknown"
		case op == ">=":
			from = v
		case op == "<":
			below = v
		case op == "<=":
			upTo = v
		default: // "= 1.2" or a bare version: that version
			if op == "" && strings.ContainsAny(v, " \t") {
				out.DefaultStatus = "unknown" // prose, not a version
			}
			exact = append(exact, v)
		}
	}
	if below == "" && upTo == "" && p.Fixed != "" && (from != "0" || len(exact) == 0) {
		below = p.Fixed
	}
	switch {
	case below != "":
		out.Versions = append(out.Versions, cveVersion{Version: from, Status: "affected", VersionType: vt, LessThan: below})
	case upTo != "":
		out.Versions = append(out.Versions, cveVersion{Version: from, Status: "affected", VersionType: vt, LessThanOrEqual: upTo})
	case from != "0":
		out.Versions = append(out.Versions, cveVersion{Version: from, Status: "affected", VersionType: vt, LessThan: "*"})
	}
	for _, v := range exact {
		out.Versions = append(out.Versions, cveVersion{Version: v, Status: "affected"})
	}
	if p.Fixed != "" {
		out.Versions = append(out.Versions, cveVersion{Version: p.Fixed, Status: "unaffected"})
	}
	out.Versions = uniq(out.Versions)
	if len(out.Versions) == 0 {
		out.DefaultStatus = "unknown"
	}
	return out
}

func hasCVE(a *db.Advisory, id string) bool {
	for _, c := range a.CVEs {
		if c == id {
			return true
		}
	}
	return false
}

// uniq drops repeated items: the schema wants every list's items unique.
func uniq[T comparable](in []T) []T {
	var out []T
	seen := map[T]bool{}
	for _, x := range in {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

func cutTo(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
