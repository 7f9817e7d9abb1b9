// Package cwe is the bundled list of weakness types (CWE) the report and
// triage forms offer: the CWE Top 25 and the other types researchers
// report most (cwe.txt, one "number<TAB>name" a line). A leaf under db:
// db validates a report's weakness against it, views lists it.
package cwe

import (
	_ "embed"
	"strings"
)

//go:embed cwe.txt
var text string

// Weakness is one weakness type of the bundled list.
type Weakness struct {
	ID   string // "CWE-79"
	Name string
}

// List is the bundled list, in the file's order.
var List = parse(text)

func parse(text string) []Weakness {
	var out []Weakness
	for _, line := range strings.Split(text, "\n") {
		id, name, ok := strings.Cut(line, "\t")
		if !ok {
			continue
		}
		out = append(out, Weakness{ID: "CWE-" + id, Name: name})
	}
	return out
}

// Lookup returns the bundled entry for id ("CWE-79").
func Lookup(id string) (Weakness, bool) {
	for _, c := range List {
		if c.ID == id {
			return c, true
		}
	}
	return Weakness{}, false
}
