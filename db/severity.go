package db

import "github.com/disclose/disclose/db/cvss"

// Severity is a report's rating on the CVSS qualitative scale; the queue
// filters and sorts by it. Scoring lives in db/cvss; these names are the
// ones stored rows, filters and forms use.
type Severity = cvss.Severity

// The ratings, from none to critical.
const (
	SeverityNone     = cvss.SeverityNone
	SeverityLow      = cvss.SeverityLow
	SeverityMedium   = cvss.SeverityMedium
	SeverityHigh     = cvss.SeverityHigh
	SeverityCritical = cvss.SeverityCritical
)

// Severities lists the ratings from most to least severe.
var Severities = cvss.Severities

// CVSS is a parsed vector with its base score.
type CVSS = cvss.Vector

// ParseCVSS validates a CVSS v3.1 vector (what the report form offers);
// a bad one is EINVALID with the reason.
func ParseCVSS(vector string) (*CVSS, error) { return invalidCVSS(cvss.Parse31(vector)) }

// ParseAnyCVSS accepts a CVSS v3.1 or v4.0 vector (what triagers may give).
func ParseAnyCVSS(vector string) (*CVSS, error) { return invalidCVSS(cvss.Parse(vector)) }

// invalidCVSS makes db/cvss's refusal (its only errors) an EINVALID whose
// message is the reason.
func invalidCVSS(v *CVSS, err error) (*CVSS, error) {
	if err != nil {
		return nil, Errorf(EINVALID, "%s", err.Error())
	}
	return v, nil
}
