package db

import (
	"strconv"
	"strings"
)

// A search by a user who sees a few programs (a client organisation's
// user: 1 program of 200) was led by the search index, which walked its
// matches newest first until 50 were in the user's programs: for a common
// word, nearly every match (1.6 s at 100,000 reports over 200 programs).
// Then by the programs' reports, each checked against the index by id:
// about 60 µs a report for a common word, as FTS5 seeks the word's whole
// list for every row (p99 124 ms). Since migration 0034 the index holds
// each report's program as a token of its scope column, and such a search
// is one full-text query, the words AND the programs: FTS5 intersects the
// two lists, seeking the longer by the shorter, so a page costs about the
// matches in the scope it returns. The SQL still filters on r.program_id:
// the scope in the index is a speed-up, never the authorization.

// textColumns are the columns of reports_fts that hold report text: a
// user's words are matched there only (ftsQuery), so that a word such as
// "p12" is not a program's scope and no one can type a scope.
const textColumns = `{title asset description steps impact}`

// scopeTermsMax is the most programs a search puts into its full-text
// query. FTS5 merges one list per program; a user who sees more programs
// than this sees a large part of the reports, and the index's matches,
// filtered on r.program_id, fill a page quickly.
const scopeTermsMax = 64

// scopedMatch is match (ftsQuery's) restricted to f's programs within the
// search index, or match itself for an admin (every program) or a scope of
// more than scopeTermsMax programs.
func scopedMatch(match string, f QueueFilter) string {
	scope := f.Visible
	if f.ProgramID != 0 {
		scope = []int64{f.ProgramID}
	}
	if match == "" || scope == nil || len(scope) > scopeTermsMax || searchLeadForTest == "index" {
		return match
	}
	if len(scope) == 0 {
		return match // sees nothing: the SQL's empty IN answers
	}
	return match + ` AND ` + scopeTerms(scope)
}

// scopeTerms is the FTS5 expression of the programs' scope tokens (the
// reports.scope column of migration 0034: 'p' and the program's id).
func scopeTerms(programs []int64) string {
	terms := make([]string, len(programs))
	for i, id := range programs {
		terms[i] = `"p` + strconv.FormatInt(id, 10) + `"`
	}
	return `scope : (` + strings.Join(terms, ` OR `) + `)`
}

// searchLeadForTest, "index", leaves the scope out of the full-text query
// (the SQL's filter alone), so that tests compare both ways.
var searchLeadForTest string
