package db

import (
	"strings"

	gocvss31 "github.com/pandatix/go-cvss/31"
)

// Severity is the qualitative rating of a CVSS score.
type Severity string

// Severities from none to critical, as CVSS v3.1 names them.
const (
	SeverityNone     Severity = "none"
	SeverityLow      Severity = "low"
	SeverityMedium   Severity = "medium"
	SeverityHigh     Severity = "high"
	SeverityCritical Severity = "critical"
)

// Severities lists the ratings from most to least severe.
var Severities = []Severity{SeverityCritical, SeverityHigh, SeverityMedium, SeverityLow, SeverityNone}

// CVSS is a parsed vector with its base score.
type CVSS struct {
	Vector   string
	Score    float64
	Severity Severity
}

// ParseCVSS validates a CVSS v3.1 vector and computes its base score with the
// specification's formula (github.com/pandatix/go-cvss).
func ParseCVSS(vector string) (*CVSS, error) {
	vector = strings.TrimSpace(vector)
	if !strings.HasPrefix(vector, "CVSS:3.1/") {
		return nil, Errorf(EINVALID, "Give a CVSS v3.1 vector starting with CVSS:3.1/, for example CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H.")
	}
	v, err := gocvss31.ParseVector(vector)
	if err != nil {
		return nil, Errorf(EINVALID, "This is not a valid CVSS v3.1 vector; every base metric (AV, AC, PR, UI, S, C, I, A) must appear once with a valid value.")
	}
	score := v.BaseScore()
	return &CVSS{Vector: vector, Score: score, Severity: SeverityOf(score)}, nil
}

// SeverityOf rates a CVSS score (v3.1 qualitative scale).
func SeverityOf(score float64) Severity {
	switch {
	case score >= 9.0:
		return SeverityCritical
	case score >= 7.0:
		return SeverityHigh
	case score >= 4.0:
		return SeverityMedium
	case score > 0:
		return SeverityLow
	}
	return SeverityNone
}
