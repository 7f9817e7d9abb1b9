package publish

import (
	"encoding/json"
	"strings"

	"github.com/disclose/disclose/db"
)

// osvSchemaVersion is the OSV schema version the records follow.
const osvSchemaVersion = "1.7.5"

type osvRecord struct {
	SchemaVersion string        `json:"schema_version"`
	ID            string        `json:"id"`
	Modified      string        `json:"modified"`
	Published     string        `json:"published"`
	Withdrawn     string        `json:"withdrawn,omitempty"`
	Aliases       []string      `json:"aliases,omitempty"`
	Summary       string        `json:"summary"`
	Details       string        `json:"details,omitempty"`
	Severity      []osvSeverity `json:"severity,omitempty"`
	Affected      []osvAffected `json:"affected"`
	References    []osvRef      `json:"references"`
	Credits       []osvCredit   `json:"credits,omitempty"`
}

type osvSeverity struct {
	Type  string `json:"type"`
	Score string `json:"score"`
}

type osvAffected struct {
	Package struct {
		Ecosystem string `json:"ecosystem"`
		Name      string `json:"name"`
	} `json:"package"`
	Ranges []osvRange `json:"ranges,omitempty"`
}

type osvRange struct {
	Type   string              `json:"type"`
	Events []map[string]string `json:"events"`
}

type osvRef struct {
	Type string `json:"type"`
	URL  string `json:"url"`
}

type osvCredit struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// OSVID is an advisory's OSV id: x_ marks a database that no aggregator
// knows (the OSV schema's prefix for local databases).
func OSVID(a *db.Advisory) string { return "x_" + a.Ident }

// HasOSV says whether the advisory names a package of an OSV ecosystem:
// OSV describes packages, so only such an advisory has a record.
func HasOSV(a *db.Advisory) bool {
	for _, p := range a.Products {
		if p.Ecosystem != "" && p.Package != "" {
			return true
		}
	}
	return false
}

// OSV is the advisory as an OSV record: its packages with ECOSYSTEM ranges
// (introduced at the range's lower bound or 0, fixed at the fixed version,
// else last_affected at an inclusive upper bound), its CVEs as aliases,
// both CVSS vectors as severity, and the public credits.
func OSV(a *db.Advisory, site Site) ([]byte, error) {
	r := osvRecord{SchemaVersion: osvSchemaVersion, ID: OSVID(a), Modified: rfc3339(a.LastChange()), Published: rfc3339(a.PublishedAt),
		Aliases: a.CVEs, Summary: a.Title, Details: a.Summary}
	if a.Details != "" {
		r.Details += "\n\n" + a.Details
	}
	if a.State == db.AdvisoryWithdrawn {
		r.Withdrawn = rfc3339(a.WithdrawnAt)
	}
	if a.CVSS3 != "" {
		r.Severity = append(r.Severity, osvSeverity{Type: "CVSS_V3", Score: a.CVSS3})
	}
	if a.CVSS4 != "" {
		r.Severity = append(r.Severity, osvSeverity{Type: "CVSS_V4", Score: a.CVSS4})
	}
	for _, p := range a.Products {
		if p.Ecosystem == "" || p.Package == "" {
			continue
		}
		var af osvAffected
		af.Package.Ecosystem, af.Package.Name = p.Ecosystem, p.Package
		if events := osvEvents(p); len(events) > 0 {
			af.Ranges = []osvRange{{Type: "ECOSYSTEM", Events: events}}
		}
		r.Affected = append(r.Affected, af)
	}
	r.References = []osvRef{{Type: "ADVISORY", URL: site.PageURL(a)}}
	for _, u := range a.References {
		r.References = append(r.References, osvRef{Type: "WEB", URL: u})
	}
	for _, c := range a.PublicCredits() {
		r.Credits = append(r.Credits, osvCredit{Name: c.Name, Type: strings.ToUpper(string(c.Type))})
	}
	return json.MarshalIndent(r, "", "  ")
}

// osvEvents reads a range as people write it: bounds separated by commas,
// each an operator and a version (">= 1.0, < 1.9.3", "< 2.4.1", "<= 3.0").
func osvEvents(p db.AffectedProduct) []map[string]string {
	introduced, fixed, last := "0", p.Fixed, ""
	for _, part := range strings.FieldsFunc(p.Affected, func(r rune) bool { return r == ',' }) {
		part = strings.TrimSpace(part)
		for _, op := range []string{">=", "<=", "<", "="} {
			v, ok := strings.CutPrefix(part, op)
			if !ok {
				continue
			}
			v = strings.TrimSpace(v)
			switch op {
			case ">=":
				introduced = v
			case "<":
				if fixed == "" {
					fixed = v
				}
			case "<=":
				last = v
			case "=":
				introduced, last = v, v
			}
			break
		}
	}
	events := []map[string]string{{"introduced": introduced}}
	switch {
	case fixed != "":
		events = append(events, map[string]string{"fixed": fixed})
	case last != "":
		events = append(events, map[string]string{"last_affected": last})
	}
	return events
}
