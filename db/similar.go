package db

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"unicode"
)

// similarTerms bounds the OR query of a duplicate search: bm25 ranks every
// report matching any term, so fewer, more telling terms keep the report
// page fast on a large program.
const similarTerms = 12

// stopWords are words that tell nothing about a vulnerability.
var stopWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`a about above after again against all also an and any are as at be because been
		before being below between both but by can could did do does doing down during each few for from further had has
		have having he her here hers him his how i if in into is it its itself just me more most my no nor not now of off
		on once only or other our ours out over own same she should so some such than that the their them then there these
		they this those through to too under until up very was we were what when where which while who whom why will with
		would you your yours able allows allow using use used user users page request response server via one two get set
		http https www com org example value field this issue vulnerability found report`) {
		stopWords[w] = true
	}
}

// similarityQuery picks the telling words of a report, title words first
// and longer words before shorter ones, as an FTS5 OR query.
func similarityQuery(title, body string) string {
	words := func(s string) []string {
		return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	}
	seen := map[string]bool{}
	var picked []string
	take := func(cands []string, limit int) {
		var ws []string
		for _, w := range cands {
			if len(w) < 3 || len(w) > 40 || stopWords[w] || seen[w] {
				continue
			}
			seen[w] = true
			ws = append(ws, w)
		}
		sort.SliceStable(ws, func(i, j int) bool { return len(ws[i]) > len(ws[j]) })
		for _, w := range ws {
			if len(picked) >= limit {
				return
			}
			picked = append(picked, `"`+w+`"`)
		}
	}
	take(words(title), similarTerms*2/3)
	take(words(body), similarTerms)
	return strings.Join(picked, " OR ")
}

// SimilarReport is a possible duplicate.
type SimilarReport struct {
	ID    int64
	Ref   string
	Title string
	State State
}

// SimilarReports suggests up to limit reports of the same program whose text
// resembles r's (FTS5 bm25 over the report's telling words), best first.
func (db *DB) SimilarReports(ctx context.Context, r *Report, limit int) ([]*SimilarReport, error) {
	q := similarityQuery(r.Title, r.Description)
	if q == "" {
		return nil, nil
	}
	rows, err := db.read.QueryContext(ctx, `SELECT r.id, p.prefix, r.number, r.title, r.state
		FROM reports_fts f JOIN reports r ON r.id = f.rowid JOIN programs p ON p.id = r.program_id
		WHERE reports_fts MATCH ? AND r.program_id = ? AND r.id <> ? ORDER BY f.rank LIMIT ?`, q, r.ProgramID, r.ID, limit)
	if err != nil {
		return nil, fmt.Errorf("db: find similar reports: %w", err)
	}
	defer rows.Close()
	var out []*SimilarReport
	for rows.Next() {
		s := &SimilarReport{}
		var prefix string
		var n int64
		if err := rows.Scan(&s.ID, &prefix, &n, &s.Title, &s.State); err != nil {
			return nil, fmt.Errorf("db: scan similar report: %w", err)
		}
		s.Ref = fmt.Sprintf("%s-%d", prefix, n)
		out = append(out, s)
	}
	return out, rows.Err()
}
