package db

import (
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/disclose/disclose/db/cvss"
	"github.com/disclose/disclose/db/cwe"
)

// AdvisoryState is where an advisory is on its way to the public.
type AdvisoryState string

// Advisory states (migration 0030). Public pages show published, updated
// and withdrawn advisories; nothing of the others leaves the dashboard.
const (
	AdvisoryDraft     AdvisoryState = "draft"
	AdvisoryInReview  AdvisoryState = "in_review"
	AdvisoryScheduled AdvisoryState = "scheduled"
	AdvisoryPublished AdvisoryState = "published"
	AdvisoryUpdated   AdvisoryState = "updated"
	AdvisoryWithdrawn AdvisoryState = "withdrawn"
)

// Public says whether an advisory in this state is on the public pages.
func (s AdvisoryState) Public() bool {
	return s == AdvisoryPublished || s == AdvisoryUpdated || s == AdvisoryWithdrawn
}

// CreditType is a credit's role, the CSAF 2.0 / CVE JSON 5 credit types
// (CSAF's acknowledgment has none; CVE JSON 5 names them, in lower case
// with underscores as here; formats spell them as they need).
type CreditType string

// CreditTypes lists the credit types in the order forms offer them.
var CreditTypes = []CreditType{"finder", "reporter", "analyst", "coordinator", "remediation_developer",
	"remediation_reviewer", "remediation_verifier", "tool", "sponsor", "other"}

// Valid says whether t is one of CreditTypes.
func (t CreditType) Valid() bool {
	for _, c := range CreditTypes {
		if c == t {
			return true
		}
	}
	return false
}

// AffectedProduct is one product an advisory names: the versions affected
// (a range as people write it: "< 2.4.1", ">= 1.0, < 1.9.3") and the
// version that fixes it ("" while none does).
type AffectedProduct struct {
	Product, Affected, Fixed string
	// Ecosystem and Package name it in an OSV ecosystem ("npm",
	// "acme-portal"); empty for a product outside one. The OSV record
	// lists the products that have them.
	Ecosystem, Package string
}

// AdvisoryCredit is one typed credit. ReportID is set on a credit proposed
// from a report's reporter: the reporter may change the name or decline it
// on the status page until publication. A declined credit is anonymous and
// appears in no public format.
type AdvisoryCredit struct {
	ID       int64
	ReportID int64
	Name     string
	Type     CreditType
	Declined bool
}

// AdvisoryRevision is one entry of the public revision history.
type AdvisoryRevision struct {
	Number  int
	At      time.Time
	Summary string
}

// Advisory is a security advisory of an organisation.
type Advisory struct {
	ID          int64
	OrgID       int64
	Ident       string // ACME-SA-2026-001
	State       AdvisoryState
	Title       string
	Summary     string
	Details     string // markdown, rendered sanitised
	Workarounds string // markdown
	CVSS3       string
	CVSS3Score  float64 // valid when CVSS3 != ""
	CVSS4       string
	CVSS4Score  float64 // valid when CVSS4 != ""
	Severity    Severity
	CWE         string
	CVEs        []string
	References  []string
	AuthorID    int64
	Author      string
	ApproverID  int64
	Approver    string
	EditorID    int64     // the last to change the draft (0: its author)
	PublishAt   time.Time // the embargo's end; zero: at approval
	PublishedAt time.Time
	WithdrawnAt time.Time
	Revision    int
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Version     int64

	Reports   []AdvisoryReport
	Products  []AffectedProduct
	Credits   []AdvisoryCredit
	Revisions []AdvisoryRevision
}

// AdvisoryReport is a report an advisory was drafted from.
type AdvisoryReport struct {
	ID  int64
	Ref string
}

// Score is the advisory's headline score: v4.0 when it has one, else v3.1.
func (a *Advisory) Score() float64 {
	if a.CVSS4 != "" {
		return a.CVSS4Score
	}
	return a.CVSS3Score
}

// PublicCredits are the credits the public formats name: not declined.
func (a *Advisory) PublicCredits() []AdvisoryCredit {
	var out []AdvisoryCredit
	for _, c := range a.Credits {
		if !c.Declined && c.Name != "" {
			out = append(out, c)
		}
	}
	return out
}

// LastChange is when the public record last changed.
func (a *Advisory) LastChange() time.Time {
	if n := len(a.Revisions); n > 0 {
		return a.Revisions[n-1].At
	}
	return a.PublishedAt
}

// AdvisoryInput is what a draft or a revision of an advisory holds.
type AdvisoryInput struct {
	Title, Summary, Details, Workarounds string
	CVSS3, CVSS4                         string
	CWE                                  string
	CVEs, References                     []string
	Products                             []AffectedProduct
	// Credits are the credits staff give (analysts, coordinators...); the
	// reporters' proposed credits are kept apart and follow the reporter.
	Credits   []AdvisoryCredit
	PublishAt time.Time

	cvss3, cvss4 *cvss.Vector
}

// Advisory bounds.
const (
	maxAdvisoryText  = 64 << 10 // details, workarounds (runes)
	maxAdvisoryItems = 50       // products, references, CVEs, credits
)

// Validate checks and normalises the input; messages per field ("title",
// "summary", "details", "workarounds", "cvss3", "cvss4", "cwe", "cves",
// "references", "products", "credits").
func (in *AdvisoryInput) Validate() FieldErrors {
	errs := FieldErrors{}
	in.Title, in.Summary = strings.TrimSpace(in.Title), strings.TrimSpace(in.Summary)
	if n := utf8.RuneCountInString(in.Title); n == 0 || n > 200 {
		errs["title"] = "Give a title of 1 to 200 characters."
	}
	if n := utf8.RuneCountInString(in.Summary); n == 0 || n > 2000 {
		errs["summary"] = "Give a summary of 1 to 2,000 characters."
	}
	if utf8.RuneCountInString(in.Details) > maxAdvisoryText {
		errs["details"] = "Keep the details under 64K characters."
	}
	if utf8.RuneCountInString(in.Workarounds) > maxAdvisoryText {
		errs["workarounds"] = "Keep the workarounds under 64K characters."
	}
	in.CVSS3, in.CVSS4 = strings.TrimSpace(in.CVSS3), strings.TrimSpace(in.CVSS4)
	in.cvss3, in.cvss4 = nil, nil
	if in.CVSS3 != "" {
		v, err := cvss.Parse31(in.CVSS3)
		if err != nil {
			errs["cvss3"] = err.Error()
		}
		in.cvss3 = v
	}
	if in.CVSS4 != "" {
		if !strings.HasPrefix(in.CVSS4, "CVSS:4.0/") {
			errs["cvss4"] = "Give a CVSS v4.0 vector starting with CVSS:4.0/."
		} else if v, err := cvss.Parse(in.CVSS4); err != nil {
			errs["cvss4"] = err.Error()
		} else {
			in.cvss4 = v
		}
	}
	in.CWE = strings.ToUpper(strings.TrimSpace(in.CWE))
	if in.CWE != "" {
		if _, ok := cwe.Lookup(in.CWE); !ok {
			errs["cwe"] = "Choose a weakness type from the list (like CWE-79), or leave it empty."
		}
	}
	in.CVEs = cleanList(in.CVEs, strings.ToUpper)
	for _, c := range in.CVEs {
		if !ValidCVE(c) || len(c) > 30 {
			errs["cves"] = fmt.Sprintf("%q is not a CVE ID like CVE-2026-12345.", c)
		}
	}
	in.References = cleanList(in.References, nil)
	for _, r := range in.References {
		u, err := url.Parse(r)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(r) > 2000 {
			errs["references"] = fmt.Sprintf("%q is not an http(s) URL.", cutRunes(r, 80))
		}
	}
	var products []AffectedProduct
	for _, p := range in.Products {
		p.Product, p.Affected, p.Fixed = strings.TrimSpace(p.Product), strings.TrimSpace(p.Affected), strings.TrimSpace(p.Fixed)
		p.Ecosystem, p.Package = strings.TrimSpace(p.Ecosystem), strings.TrimSpace(p.Package)
		if p.Product == "" && p.Affected == "" && p.Fixed == "" {
			continue
		}
		if (p.Ecosystem == "") != (p.Package == "") || utf8.RuneCountInString(p.Ecosystem) > 50 || utf8.RuneCountInString(p.Package) > 200 {
			errs["products"] = "Give a package both its ecosystem and its name (like npm:acme-portal), or neither."
		}
		if n := utf8.RuneCountInString(p.Product); n == 0 || n > 200 {
			errs["products"] = "Give each product a name of 1 to 200 characters."
		}
		if n := utf8.RuneCountInString(p.Affected); n == 0 || n > 200 {
			errs["products"] = "Give each product the versions affected, like < 2.4.1."
		}
		if utf8.RuneCountInString(p.Fixed) > 100 {
			errs["products"] = "Keep a fixed version under 100 characters."
		}
		products = append(products, p)
	}
	in.Products = products
	if len(in.Products) == 0 {
		errs["products"] = "Name at least one affected product with its versions."
	}
	var credits []AdvisoryCredit
	for _, c := range in.Credits {
		c.Name = strings.TrimSpace(c.Name)
		if c.Name == "" {
			continue
		}
		if c.Type == "" {
			c.Type = "analyst"
		}
		if utf8.RuneCountInString(c.Name) > 200 || !c.Type.Valid() {
			errs["credits"] = "Give each credit a name under 200 characters and one of the credit types."
		}
		c.ReportID, c.Declined = 0, false
		credits = append(credits, c)
	}
	in.Credits = credits
	if len(in.CVEs) > maxAdvisoryItems || len(in.References) > maxAdvisoryItems || len(in.Products) > maxAdvisoryItems || len(in.Credits) > maxAdvisoryItems {
		errs["products"] = fmt.Sprintf("An advisory holds at most %d products, references, CVE IDs and credits each.", maxAdvisoryItems)
	}
	return errs
}

// severity is the rating of the headline score, "" without a vector.
func (in *AdvisoryInput) severity() (Severity, any, any) {
	var s3, s4 any
	var sev Severity
	if in.cvss3 != nil {
		s3, sev = in.cvss3.Score, in.cvss3.Severity
	}
	if in.cvss4 != nil {
		s4, sev = in.cvss4.Score, in.cvss4.Severity
	}
	return sev, s3, s4
}

// cleanList trims, drops empty lines and duplicates, and maps each item.
func cleanList(in []string, f func(string) string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range in {
		for _, line := range strings.Split(s, "\n") {
			line = strings.TrimSpace(line)
			if f != nil {
				line = f(line)
			}
			if line == "" || seen[line] {
				continue
			}
			seen[line] = true
			out = append(out, line)
		}
	}
	return out
}

// AdvisoryPrefix is an organisation's advisory identifier prefix: its slug
// in upper case ("acme" → "ACME-SA").
func AdvisoryPrefix(o *Organisation) string { return strings.ToUpper(o.Slug) + "-SA" }

// advisoryIdent is PREFIX-SA-YEAR-NNN.
func advisoryIdent(o *Organisation, year, seq int) string {
	return fmt.Sprintf("%s-%d-%03d", AdvisoryPrefix(o), year, seq)
}
