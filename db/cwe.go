package db

import (
	_ "embed"
	"strings"
)

//go:embed cwe.txt
var cweText string

// CWE is one weakness type of the bundled list.
type CWE struct {
	ID   string // "CWE-79"
	Name string
}

// CWEs is the bundled list of weakness types offered on the report form: the
// CWE Top 25 and the other types researchers report most.
var CWEs = parseCWEs(cweText)

func parseCWEs(text string) []CWE {
	var out []CWE
	for _, line := range strings.Split(text, "\n") {
		id, name, ok := strings.Cut(line, "\t")
		if !ok {
			continue
		}
		out = append(out, CWE{ID: "CWE-" + id, Name: name})
	}
	return out
}

// LookupCWE returns the bundled entry for id ("CWE-79").
func LookupCWE(id string) (CWE, bool) {
	for _, c := range CWEs {
		if c.ID == id {
			return c, true
		}
	}
	return CWE{}, false
}
