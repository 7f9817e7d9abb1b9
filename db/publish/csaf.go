// Package publish renders advisories in the machine-readable formats
// scanners and CERTs ingest: CSAF 2.0 (csaf_security_advisory), CVE JSON 5
// (the CNA container of the CVE Record Format) and OSV. Each is a pure
// function of a *db.Advisory and the organisation's public base URL, so a
// document is the same bytes every time it is asked for (its hashes and
// signature hold) until the advisory changes. Scores are the advisory's,
// which db computed with db/cvss: every format shows the portal's scores.
package publish

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/db/cvss"
	"github.com/disclose/disclose/db/cwe"
)

// Site is the organisation an advisory is published for.
type Site struct {
	Name    string // the publisher's name
	BaseURL string // its public pages, like https://reports.acme.example (no trailing slash)
}

// PageURL is the advisory's public page.
func (s Site) PageURL(a *db.Advisory) string { return s.BaseURL + "/advisories/" + a.Ident }

// CSAFPath is where the provider serves the advisory's CSAF document:
// under the TLP folder and the year of its first release, named by its
// tracking id in lower case (CSAF 2.0 section 5.1 and requirement 11).
func CSAFPath(a *db.Advisory) string {
	return fmt.Sprintf("/.well-known/csaf/white/%d/%s", releaseDate(a).Year(), CSAFFilename(a.Ident))
}

// CSAFFilename is a tracking id's file name.
func CSAFFilename(ident string) string { return strings.ToLower(ident) + ".json" }

func releaseDate(a *db.Advisory) time.Time {
	if !a.PublishedAt.IsZero() {
		return a.PublishedAt
	}
	return a.CreatedAt
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

type csafDoc struct {
	Document        csafDocument `json:"document"`
	ProductTree     csafTree     `json:"product_tree"`
	Vulnerabilities []csafVuln   `json:"vulnerabilities"`
}

type csafDocument struct {
	Acknowledgements []csafAck     `json:"acknowledgments,omitempty"`
	AggregateSev     *csafText     `json:"aggregate_severity,omitempty"`
	Category         string        `json:"category"`
	CSAFVersion      string        `json:"csaf_version"`
	Distribution     csafDistrib   `json:"distribution"`
	Lang             string        `json:"lang"`
	Notes            []csafNote    `json:"notes"`
	Publisher        csafPublisher `json:"publisher"`
	References       []csafRef     `json:"references"`
	Title            string        `json:"title"`
	Tracking         csafTracking  `json:"tracking"`
}

type csafText struct {
	Text string `json:"text"`
}

type csafAck struct {
	Names   []string `json:"names"`
	Summary string   `json:"summary,omitempty"`
}

type csafDistrib struct {
	TLP struct {
		Label string `json:"label"`
		URL   string `json:"url"`
	} `json:"tlp"`
}

type csafNote struct {
	Category string `json:"category"`
	Text     string `json:"text"`
	Title    string `json:"title,omitempty"`
}

type csafPublisher struct {
	Category  string `json:"category"`
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
}

type csafRef struct {
	Category string `json:"category"`
	Summary  string `json:"summary"`
	URL      string `json:"url"`
}

type csafTracking struct {
	CurrentReleaseDate string         `json:"current_release_date"`
	Generator          csafGenerator  `json:"generator"`
	ID                 string         `json:"id"`
	InitialReleaseDate string         `json:"initial_release_date"`
	RevisionHistory    []csafRevision `json:"revision_history"`
	Status             string         `json:"status"`
	Version            string         `json:"version"`
}

type csafGenerator struct {
	Engine struct {
		Name string `json:"name"`
	} `json:"engine"`
}

type csafRevision struct {
	Date    string `json:"date"`
	Number  string `json:"number"`
	Summary string `json:"summary"`
}

type csafTree struct {
	Branches []csafBranch `json:"branches"`
}

type csafBranch struct {
	Branches []csafBranch `json:"branches,omitempty"`
	Category string       `json:"category"`
	Name     string       `json:"name"`
	Product  *csafProduct `json:"product,omitempty"`
}

type csafProduct struct {
	Name      string `json:"name"`
	ProductID string `json:"product_id"`
}

type csafVuln struct {
	CVE           string            `json:"cve,omitempty"`
	CWE           *csafCWE          `json:"cwe,omitempty"`
	Notes         []csafNote        `json:"notes"`
	ProductStatus csafStatus        `json:"product_status"`
	References    []csafRef         `json:"references,omitempty"`
	Remediations  []csafRemediation `json:"remediations,omitempty"`
	Scores        []csafScore       `json:"scores,omitempty"`
	Title         string            `json:"title"`
}

type csafCWE struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type csafStatus struct {
	Fixed         []string `json:"fixed,omitempty"`
	KnownAffected []string `json:"known_affected,omitempty"`
}

type csafRemediation struct {
	Category   string   `json:"category"`
	Details    string   `json:"details"`
	ProductIDs []string `json:"product_ids"`
	URL        string   `json:"url,omitempty"`
}

type csafScore struct {
	CVSSv3   *cvss3JSON `json:"cvss_v3,omitempty"`
	Products []string   `json:"products"`
}

// cvss3JSON is FIRST's CVSS v3.1 JSON object, as CSAF and CVE JSON 5 embed it.
type cvss3JSON struct {
	Version      string  `json:"version"`
	VectorString string  `json:"vectorString"`
	BaseScore    float64 `json:"baseScore"`
	BaseSeverity string  `json:"baseSeverity"`
}

func cvss3Of(a *db.Advisory) *cvss3JSON {
	if a.CVSS3 == "" {
		return nil
	}
	return &cvss3JSON{Version: "3.1", VectorString: a.CVSS3, BaseScore: a.CVSS3Score, BaseSeverity: strings.ToUpper(string(cvss.SeverityOf(a.CVSS3Score)))}
}

// CSAF is the advisory as a CSAF 2.0 csaf_security_advisory. A public
// advisory is final, with its revision history; a draft (the dashboard's
// export) is status draft, version 0. CSAF 2.0 has no field for CVSS v4.0:
// its vector is in the notes, its score in the other formats.
func CSAF(a *db.Advisory, site Site) ([]byte, error) {
	var d csafDoc
	doc := &d.Document
	doc.Category, doc.CSAFVersion, doc.Lang, doc.Title = "csaf_security_advisory", "2.0", "en", a.Title
	doc.Distribution.TLP.Label, doc.Distribution.TLP.URL = "WHITE", "https://www.first.org/tlp/"
	doc.Publisher = csafPublisher{Category: "vendor", Name: site.Name, Namespace: site.BaseURL}
	doc.Notes = []csafNote{{Category: "summary", Title: "Summary", Text: a.Summary}}
	if a.Details != "" {
		doc.Notes = append(doc.Notes, csafNote{Category: "details", Title: "Details", Text: a.Details})
	}
	if a.CVSS4 != "" {
		doc.Notes = append(doc.Notes, csafNote{Category: "other", Title: "CVSS v4.0",
			Text: fmt.Sprintf("%s (base score %.1f)", a.CVSS4, a.CVSS4Score)})
	}
	if a.State == db.AdvisoryWithdrawn {
		doc.Notes = append(doc.Notes, csafNote{Category: "general", Title: "Withdrawn", Text: "This advisory was withdrawn."})
	}
	if a.Severity != "" {
		doc.AggregateSev = &csafText{Text: string(a.Severity)}
	}
	doc.References = []csafRef{{Category: "external", Summary: "The advisory's page", URL: site.PageURL(a)}}
	if a.State.Public() {
		doc.References = append([]csafRef{{Category: "self", Summary: "This document", URL: site.BaseURL + CSAFPath(a)}}, doc.References...)
	}
	for _, c := range a.PublicCredits() {
		doc.Acknowledgements = append(doc.Acknowledgements, csafAck{Names: []string{c.Name}, Summary: strings.ReplaceAll(string(c.Type), "_", " ")})
	}
	tr := &doc.Tracking
	tr.ID, tr.Generator.Engine.Name = a.Ident, "disclose"
	if a.State.Public() {
		tr.Status, tr.Version = "final", fmt.Sprint(a.Revision)
		tr.InitialReleaseDate, tr.CurrentReleaseDate = rfc3339(a.PublishedAt), rfc3339(a.LastChange())
		for _, r := range a.Revisions {
			tr.RevisionHistory = append(tr.RevisionHistory, csafRevision{Date: rfc3339(r.At), Number: fmt.Sprint(r.Number), Summary: r.Summary})
		}
	} else {
		tr.Status, tr.Version = "draft", "0"
		tr.InitialReleaseDate, tr.CurrentReleaseDate = rfc3339(a.CreatedAt), rfc3339(a.UpdatedAt)
		tr.RevisionHistory = []csafRevision{{Date: rfc3339(a.UpdatedAt), Number: "0", Summary: "Draft."}}
	}

	// The product tree: vendor → product → affected range and fixed
	// version, each with its product id.
	vendor := csafBranch{Category: "vendor", Name: site.Name}
	var affected, fixed []string
	for i, p := range a.Products {
		prod := csafBranch{Category: "product_name", Name: p.Product}
		id := fmt.Sprintf("CSAFPID-%d", i+1)
		prod.Branches = append(prod.Branches, csafBranch{Category: "product_version_range", Name: "vers:generic/" + versRange(p.Affected),
			Product: &csafProduct{Name: p.Product + " " + p.Affected, ProductID: id}})
		affected = append(affected, id)
		if p.Fixed != "" {
			fid := id + "-fixed"
			prod.Branches = append(prod.Branches, csafBranch{Category: "product_version", Name: p.Fixed,
				Product: &csafProduct{Name: p.Product + " " + p.Fixed, ProductID: fid}})
			fixed = append(fixed, fid)
		}
		vendor.Branches = append(vendor.Branches, prod)
	}
	d.ProductTree.Branches = []csafBranch{vendor}

	vuln := csafVuln{Title: a.Title, Notes: []csafNote{{Category: "description", Title: "Description", Text: a.Summary}},
		ProductStatus: csafStatus{KnownAffected: affected, Fixed: fixed}}
	if w, ok := cwe.Lookup(a.CWE); ok {
		vuln.CWE = &csafCWE{ID: w.ID, Name: w.Name}
	}
	for _, r := range a.References {
		vuln.References = append(vuln.References, csafRef{Category: "external", Summary: "Reference", URL: r})
	}
	for i, p := range a.Products {
		if p.Fixed != "" {
			vuln.Remediations = append(vuln.Remediations, csafRemediation{Category: "vendor_fix",
				Details: fmt.Sprintf("Update %s to %s or later.", p.Product, p.Fixed), ProductIDs: []string{fmt.Sprintf("CSAFPID-%d", i+1)}})
		}
	}
	if a.Workarounds != "" {
		vuln.Remediations = append(vuln.Remediations, csafRemediation{Category: "workaround", Details: a.Workarounds, ProductIDs: affected})
	}
	if v := cvss3Of(a); v != nil {
		vuln.Scores = []csafScore{{CVSSv3: v, Products: affected}}
	}
	if len(a.CVEs) == 0 {
		d.Vulnerabilities = []csafVuln{vuln}
	}
	for _, id := range a.CVEs {
		v := vuln
		v.CVE = id
		d.Vulnerabilities = append(d.Vulnerabilities, v)
	}
	return json.MarshalIndent(d, "", "  ")
}

// versRange turns a range as people write it ("< 2.4.1", ">= 1.0, < 1.9.3")
// into the constraints of a vers URI ("<2.4.1", ">=1.0|<1.9.3").
func versRange(s string) string {
	var parts []string
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '|' }) {
		if p = strings.Join(strings.Fields(p), ""); p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, "|")
}
