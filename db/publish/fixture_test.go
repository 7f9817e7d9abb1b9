package publish_test

import (
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/db/cvss"
	"github.com/disclose/disclose/db/publish"
)

var site = publish.Site{Name: "Acme", BaseURL: "https://reports.acme.example"}

const (
	v3 = "CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N"
	v4 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:P/VC:L/VI:L/VA:N/SC:L/SI:L/SA:N"
)

// fixture is a published, revised advisory with two products, a CVE, a
// named and a declined credit.
func fixture() *db.Advisory {
	s3, _ := cvss.Parse(v3)
	s4, _ := cvss.Parse(v4)
	pub := time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)
	return &db.Advisory{ID: 1, OrgID: 2, Ident: "ACME-SA-2026-001", State: db.AdvisoryUpdated, Title: "Stored XSS in profile names",
		Summary: "A profile name could run script.", Details: "## Details\n\nUnescaped.", Workarounds: "Disable profiles.",
		CVSS3: v3, CVSS3Score: s3.Score, CVSS4: v4, CVSS4Score: s4.Score, Severity: s4.Severity, CWE: "CWE-79",
		CVEs: []string{"CVE-2026-1234"}, References: []string{"https://acme.example/changelog"},
		PublishedAt: pub, Revision: 2, CreatedAt: pub.Add(-48 * time.Hour), UpdatedAt: pub.Add(time.Hour),
		Products: []db.AffectedProduct{{Product: "Acme Portal", Affected: ">= 2.0, < 2.4.1", Fixed: "2.4.1"}, {Product: "Acme Agent", Affected: "< 1.9"}},
		Credits: []db.AdvisoryCredit{{ID: 1, ReportID: 7, Name: "Alice", Type: "finder"}, {ID: 2, ReportID: 8, Type: "finder", Declined: true},
			{ID: 3, Name: "Acme PSIRT", Type: "coordinator"}},
		Revisions: []db.AdvisoryRevision{{Number: 1, At: pub, Summary: "Initial publication."}, {Number: 2, At: pub.Add(time.Hour), Summary: "Fixed version."}},
	}
}
