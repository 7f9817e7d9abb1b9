// Package cvss scores CVSS vectors (v3.1 and v4.0) and rates the score on
// the specification's qualitative scale. The formulas are the
// specification's, through github.com/pandatix/go-cvss; this package only
// says which versions a report may carry and what a bad vector is.
//
// It is a leaf under db: db stores a report's vector, score and rating,
// and the report form and the triage form validate with it. It imports
// nothing of ours, so its errors are plain values (ErrPrefix, ErrV31,
// ErrV40) that db turns into an EINVALID field error.
package cvss

import (
	"errors"
	"strings"

	gocvss31 "github.com/pandatix/go-cvss/31"
	gocvss40 "github.com/pandatix/go-cvss/40"
)

// Severity is the qualitative rating of a CVSS score.
type Severity string

// Severities from none to critical, as CVSS names them.
const (
	SeverityNone     Severity = "none"
	SeverityLow      Severity = "low"
	SeverityMedium   Severity = "medium"
	SeverityHigh     Severity = "high"
	SeverityCritical Severity = "critical"
)

// Severities lists the ratings from most to least severe.
var Severities = []Severity{SeverityCritical, SeverityHigh, SeverityMedium, SeverityLow, SeverityNone}

// Vector is a parsed vector with its base score and rating.
type Vector struct {
	Vector   string
	Score    float64
	Severity Severity
}

// Why a vector was refused. Their texts are what the forms show beside the
// CVSS field.
var (
	ErrPrefix = errors.New("Give a CVSS v3.1 vector starting with CVSS:3.1/, for example CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H.")
	ErrV31    = errors.New("This is not a valid CVSS v3.1 vector; every base metric (AV, AC, PR, UI, S, C, I, A) must appear once with a valid value.")
	ErrV40    = errors.New("This is not a valid CVSS v4.0 vector; every base metric (AV, AC, AT, PR, UI, VC, VI, VA, SC, SI, SA) must appear once with a valid value.")
)

// Parse31 validates a CVSS v3.1 vector (the report form offers only v3.1)
// and computes its base score.
func Parse31(vector string) (*Vector, error) {
	vector = strings.TrimSpace(vector)
	if !strings.HasPrefix(vector, "CVSS:3.1/") {
		return nil, ErrPrefix
	}
	v, err := gocvss31.ParseVector(vector)
	if err != nil {
		return nil, ErrV31
	}
	score := v.BaseScore()
	return &Vector{Vector: vector, Score: score, Severity: SeverityOf(score)}, nil
}

// Parse accepts a CVSS v3.1 or v4.0 vector (triagers may score in either)
// and computes its score.
func Parse(vector string) (*Vector, error) {
	vector = strings.TrimSpace(vector)
	if !strings.HasPrefix(vector, "CVSS:4.0/") {
		return Parse31(vector)
	}
	v, err := gocvss40.ParseVector(vector)
	if err != nil {
		return nil, ErrV40
	}
	score := v.Score()
	return &Vector{Vector: vector, Score: score, Severity: SeverityOf(score)}, nil
}

// SeverityOf rates a score on the qualitative scale (the same bands in
// v3.1 and v4.0).
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
