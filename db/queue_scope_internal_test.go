package db

import "testing"

// TestScopeLeadChoice: at 100,000 reports over 200 programs, a common word
// searched by a client's user (one program, 500 reports) walks that
// program's reports, where the search index would walk nearly all its
// matches to find 51 of them (1.6 s); a rare word is led by its few matches;
// a parent's user (ten programs) and one who sees most programs by the
// index, which finds a page in about a thousand matches.
func TestScopeLeadChoice(t *testing.T) {
	for _, c := range []struct {
		name                    string
		total, inScope, matches int64
		single                  bool
		scope                   bool
	}{
		{"common word, one program", 100_000, 500, matchCountCap, true, true},
		{"common word, ten programs", 100_000, 5_000, matchCountCap, false, false}, // about 1,000 matches to a page
		{"rare word, one program", 100_000, 500, 40, true, false},
		{"rare word, ten programs", 100_000, 5_000, 300, false, false},
		{"common word, most programs", 100_000, 90_000, matchCountCap, false, false},
	} {
		got := scopeWalkCost(c.total, c.inScope, c.matches, c.single) < ftsWalkCost(c.total, c.inScope, c.matches)
		if got != c.scope {
			t.Errorf("%s: scope leads=%v, want %v (scope walk %.0f, index walk %.0f)", c.name, got, c.scope,
				scopeWalkCost(c.total, c.inScope, c.matches, c.single), ftsWalkCost(c.total, c.inScope, c.matches))
		}
	}
}
