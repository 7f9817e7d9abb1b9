package views

import (
	"fmt"
	"strings"
	"time"

	"github.com/disclose/disclose/db"
)

// Advisories is an organisation's advisories in the dashboard.
type Advisories struct {
	StaffPage
	Org        *db.Organisation
	Advisories []*db.Advisory
	CanWrite   bool
}

// AdvisoryOrgs is the dashboard's entry to advisories: the organisations
// whose advisories the user reads.
type AdvisoryOrgs struct {
	StaffPage
	Orgs []*db.Organisation
}

// AdvisoryPage is one advisory in the dashboard (nil Advisory: a new
// draft), with the form its state allows.
type AdvisoryPage struct {
	StaffPage
	Org        *db.Organisation
	Advisory   *db.Advisory
	Values     map[string]string
	Errors     db.FieldErrors
	Notice     string
	CanWrite   bool
	CanApprove bool // a writer who is not the author
	PublicURL  string
	CVEExports []FormatLink // the CVE JSON record of each CVE, for the CNA
}

// PublicAdvisories is an organisation's public list.
type PublicAdvisories struct {
	Page
	Org        *db.Organisation
	Advisories []*db.Advisory
}

// PublicAdvisory is one public advisory.
type PublicAdvisory struct {
	Page
	Org      *db.Organisation
	Advisory *db.Advisory
	Formats  []FormatLink
}

// FormatLink is a machine-readable format of an advisory, linked by name
// ("CSAF", "CVE JSON", "OSV").
type FormatLink struct {
	Name, URL string
}

// Acknowledgements is the hall of fame of an organisation.
type Acknowledgements struct {
	Page
	Org     *db.Organisation
	Entries []db.Acknowledgement
}

// AdvisoryValues are the form values of an advisory (products one a line
// as "product | affected | fixed", credits as "name | type").
func AdvisoryValues(a *db.Advisory) map[string]string {
	var products, credits []string
	for _, p := range a.Products {
		line := strings.Join([]string{p.Product, p.Affected, p.Fixed}, " | ")
		if p.Ecosystem != "" {
			line += " | " + p.Ecosystem + ":" + p.Package
		}
		products = append(products, line)
	}
	for _, c := range a.Credits {
		if c.ReportID == 0 {
			credits = append(credits, c.Name+" | "+string(c.Type))
		}
	}
	v := map[string]string{"title": a.Title, "summary": a.Summary, "details": a.Details, "workarounds": a.Workarounds,
		"cvss3": a.CVSS3, "cvss4": a.CVSS4, "cwe": a.CWE, "cves": strings.Join(a.CVEs, "\n"), "references": strings.Join(a.References, "\n"),
		"products": strings.Join(products, "\n"), "credits": strings.Join(credits, "\n"), "version": fmt.Sprint(a.Version)}
	if !a.PublishAt.IsZero() {
		v["publish_at"] = a.PublishAt.UTC().Format(time.RFC3339)
	}
	return v
}

// advisoryState is a state as people read it.
func advisoryState(s db.AdvisoryState) string {
	switch s {
	case db.AdvisoryInReview:
		return "in review"
	case db.AdvisoryScheduled:
		return "approved, scheduled"
	}
	return string(s)
}

// creditType is a credit type as people read it.
func creditType(t db.CreditType) string { return strings.ReplaceAll(string(t), "_", " ") }

func day(t time.Time) string { return t.UTC().Format("2 January 2006") }

func moment(t time.Time) string { return t.UTC().Format("2 January 2006 15:04 UTC") }

func score(f float64) string { return fmt.Sprintf("%.1f", f) }

func advisoryPath(o *db.Organisation, a *db.Advisory) string {
	return "/orgs/" + o.Slug + "/advisories/" + a.Ident
}
