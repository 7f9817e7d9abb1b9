package db

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// Relevance sorts the newest searchWindow matches. bm25, SQLite's
// relevance, first counts every report that holds each word (its weight
// of a word), reading the word's whole list: for a word in most of a
// million reports that alone is about 100 ms (measured on the 1M demo,
// shared machine), whatever the window. A search with such a word is
// ranked more cheaply and says so (Queue.TitleFirst): of the newest
// searchWindow matches, those with every word in the title come first,
// each group newest first. A search of rarer words keeps bm25.

// commonWord is how many reports a word must be in for its search to be
// ranked title first: counting that many costs about 2 ms at a million
// reports, and bm25's count of a word this rare about the same.
var commonWord = 20_000

// rankTitleFirst says whether a relevance search of q has a word in at
// least commonWord reports (ranked title first). One statement counts its
// distinct words, at most MaxSearchWords of them (SQLite refuses a
// compound SELECT of more than 500 arms: a longer search was an internal
// error), each count stopping at commonWord.
func rankTitleFirst(ctx context.Context, tx *sql.Tx, q string) (bool, error) {
	var parts []string
	var args []any
	words := searchWords(q)
	for _, w := range words[:min(len(words), MaxSearchWords)] {
		parts = append(parts, fmt.Sprintf(`SELECT COUNT(*) AS n FROM (SELECT 1 FROM reports_fts WHERE reports_fts MATCH ? LIMIT %d)`, commonWord))
		args = append(args, textColumns+` : "`+w+`"`)
	}
	if len(parts) == 0 {
		return false, nil
	}
	var most int64
	err := tx.QueryRowContext(ctx, `SELECT MAX(n) FROM (`+strings.Join(parts, ` UNION ALL `)+`)`, args...).Scan(&most)
	if err != nil {
		return false, fmt.Errorf("db: count search words: %w", err)
	}
	return most >= int64(commonWord), nil
}

// titleFirstOrder is the order of a search ranked title first: the window's
// matches that match in the title (titleMatch) first, then newest first.
// Its placeholders are the title-only query and the window's oldest id
// (windowStart), which bounds the title query to the window: a word common
// in the text may be rare in titles, and its newest title matches reach far
// back.
const titleFirstOrder = `(f.rowid IN (SELECT rowid FROM reports_fts WHERE reports_fts MATCH ? AND rowid >= ?)) DESC, f.rowid DESC`

// windowStart is the oldest id of the search's window (its newest
// searchWindow matches), 0 when it has none.
func windowStart(ctx context.Context, tx *sql.Tx, match string) (int64, error) {
	var start int64
	err := tx.QueryRowContext(ctx, `SELECT COALESCE(MIN(rowid), 0) FROM (SELECT rowid FROM reports_fts WHERE reports_fts MATCH ? ORDER BY rowid DESC LIMIT `+
		fmt.Sprint(searchWindow)+`)`, match).Scan(&start)
	if err != nil {
		return 0, fmt.Errorf("db: search window: %w", err)
	}
	return start, nil
}

// titleMatch restricts match (scopedMatch's) to the title: its words in the
// title, its scope kept.
func titleMatch(match string) string {
	return strings.Replace(match, textColumns+` : (`, `{title} : (`, 1)
}

// wholeScope says that f's search window (its newest searchWindow matches)
// is every match: its programs are in the full-text query (scopedMatch)
// and hold at most searchWindow reports (scoped, the kept counts of every
// state), and the index holds no report outside them. A client's program
// of 500 reports searched for a word in nearly every report walked the
// word's whole list newest first three times (the window's start, the
// window, its title matches): 14 ms p50 at 100,000 reports over 200
// programs. Read in the index's own order (oldest first, 2.5 times
// cheaper in FTS5 than newest first) and with no start to find, the same
// matches cost one such walk and the title's.
func wholeScope(f QueueFilter, scoped int64) bool {
	match := ftsQuery(f.Search)
	return ftsLeads(f) && scoped <= searchWindow && scopedMatch(match, f) != match && !wholeScopeOffForTest
}

// wholeScopeOffForTest turns wholeScope off (tests compare both).
var wholeScopeOffForTest bool
