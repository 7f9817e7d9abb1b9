package db

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode"
)

// similarTerms bounds the OR query of a duplicate search: bm25 ranks every
// report matching any term, so fewer, more telling terms keep the report
// page fast on a large program.
const similarTerms = 8

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

// similarityWords picks the candidate words of a report, title words first
// and longer words before shorter ones.
func similarityWords(title, body string) []string {
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
			picked = append(picked, w)
		}
	}
	take(words(title), similarCandidates/2)
	take(words(body), similarCandidates)
	return picked
}

// similarCandidates is how many words are considered; similarCommon is the
// document count above which a word says too little to rank by (and would
// make bm25 rank thousands of reports).
const (
	similarCandidates = 10
	similarCommon     = 200
)

// similarityQuery keeps the telling words: each one's document count is
// read (capped, so a common word costs little), words found only in this
// report are dropped, and the rarest similarTerms remain. When fewer than
// three words are rarer than similarCommon, common words fill the query and
// minID limits it to the latest similarWindow reports, so that bm25 never
// ranks more than a few thousand.
func similarityQuery(ctx context.Context, tx *sql.Tx, title, body string) (q string, minID int64, err error) {
	type term struct {
		w  string
		df int
	}
	// One statement counts every word: preparing an FTS5 query costs more
	// than a capped count.
	words := similarityWords(title, body)
	if len(words) == 0 {
		return "", 0, nil
	}
	var parts []string
	var args []any
	for i, w := range words {
		parts = append(parts, fmt.Sprintf(`SELECT %d, COUNT(*) FROM (SELECT 1 FROM reports_fts WHERE reports_fts MATCH ? LIMIT %d)`, i, similarCommon))
		args = append(args, textColumns+` : "`+w+`"`)
	}
	rows, err := tx.QueryContext(ctx, strings.Join(parts, ` UNION ALL `), args...)
	if err != nil {
		return "", 0, fmt.Errorf("db: count terms: %w", err)
	}
	defer rows.Close()
	var rare, common []term
	for rows.Next() {
		var i, df int
		if err := rows.Scan(&i, &df); err != nil {
			return "", 0, fmt.Errorf("db: count terms: %w", err)
		}
		switch {
		case df >= similarCommon:
			common = append(common, term{words[i], df})
		case df > 1:
			rare = append(rare, term{words[i], df})
		}
	}
	if err := rows.Err(); err != nil {
		return "", 0, fmt.Errorf("db: count terms: %w", err)
	}
	// Keep the title-first order among common words.
	sort.SliceStable(common, func(i, j int) bool { return slices.Index(words, common[i].w) < slices.Index(words, common[j].w) })
	sort.SliceStable(rare, func(i, j int) bool { return rare[i].df < rare[j].df })
	terms := rare
	if len(rare) < 3 {
		terms = append(terms, common[:min(len(common), 4)]...)
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) - ? FROM reports`, similarWindow).Scan(&minID); err != nil {
			return "", 0, fmt.Errorf("db: read last report id: %w", err)
		}
	}
	var match []string
	for i := 0; i < len(terms) && i < similarTerms; i++ {
		match = append(match, `"`+terms[i].w+`"`)
	}
	return strings.Join(match, " OR "), minID, nil
}

// similarWindow is how many of the latest reports a search by common words
// looks at.
const similarWindow = 2000

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
	if r.Locked {
		return nil, nil // its words are sealed: nothing to compare with
	}
	out, err := db.similarOnDisk(ctx, r, limit)
	if err != nil {
		return nil, err
	}
	ids, err := db.similarSealed(ctx, r.ProgramID, r.ID, r.Title, r.Description, limit)
	if err != nil {
		return nil, err
	}
	// The two indexes' scores do not compare, so their lists alternate.
	var sealed []*SimilarReport
	for _, id := range ids {
		s, err := db.ReportByID(ctx, id)
		if err != nil {
			return nil, err
		}
		sealed = append(sealed, &SimilarReport{ID: s.ID, Ref: s.Ref(), Title: s.Title, State: s.State})
	}
	var merged []*SimilarReport
	for i := 0; len(merged) < limit && (i < len(out) || i < len(sealed)); i++ {
		if i < len(out) {
			merged = append(merged, out[i])
		}
		if i < len(sealed) && len(merged) < limit {
			merged = append(merged, sealed[i])
		}
	}
	return merged, nil
}

// similarOnDisk searches the on-disk index, which holds unsealed reports.
func (db *DB) similarOnDisk(ctx context.Context, r *Report, limit int) ([]*SimilarReport, error) {
	tx, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	q, minID, err := similarityQuery(ctx, tx, r.Title, r.Description)
	if err != nil || q == "" {
		return nil, err
	}
	// Title words weigh three times as much as words elsewhere.
	rows, err := tx.QueryContext(ctx, `SELECT r.id, p.prefix, r.number, r.title, r.state
		FROM reports_fts f CROSS JOIN reports r ON r.id = f.rowid JOIN programs p ON p.id = r.program_id
		WHERE reports_fts MATCH ? AND f.rowid > ? AND r.program_id = ? AND r.id <> ? ORDER BY bm25(reports_fts, 3.0, 1.0, 1.0, 1.0, 1.0, 0.0) LIMIT ?`,
		textColumns+` : (`+q+`) AND `+scopeTerms([]int64{r.ProgramID}), minID, r.ProgramID, r.ID, limit)
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
