package cwe_test

import (
	"strings"
	"testing"

	"github.com/disclose/disclose/db/cwe"
)

func TestLookup(t *testing.T) {
	c, ok := cwe.Lookup("CWE-79")
	if !ok || !strings.Contains(c.Name, "Cross-site Scripting") {
		t.Fatalf("Lookup(CWE-79) = %+v, %v", c, ok)
	}
	for _, id := range []string{"", "79", "CWE-999999", "cwe-79"} {
		if _, ok := cwe.Lookup(id); ok {
			t.Errorf("Lookup(%q) found an entry; the forms take the list's IDs only", id)
		}
	}
}

// TestList: every line of cwe.txt became an entry with a number and a
// name, none twice (the forms' <option> values must be unique).
func TestList(t *testing.T) {
	if len(cwe.List) < 25 {
		t.Fatalf("%d entries; the list holds at least the CWE Top 25", len(cwe.List))
	}
	seen := map[string]bool{}
	for _, c := range cwe.List {
		if c.Name == "" || len(c.ID) <= len("CWE-") || seen[c.ID] {
			t.Errorf("bad or repeated entry %+v", c)
		}
		seen[c.ID] = true
	}
}
