package db

import (
	"context"
	"database/sql"
	"fmt"
)

// A search by a user who sees a few programs (a client organisation's
// user: 1 program of 200) was led by the search index, which then walked
// its matches newest first until 50 were in the user's programs: for a
// common word, nearly every match (1.6 s at 100,000 reports over 200
// programs). Such a search is led by the scope instead: the programs'
// reports newest first (reports_program_id for one program), each checked
// against the search index by its id, until a page is full. Which of the two
// walks fewer rows is estimated from the counts the triggers keep
// (report_state_counts) and the number of matches, counted up to
// matchCountCap.

// matchCountCap bounds the count of a search's matches that the choice
// reads: past it the word is common enough that the scope leads whenever it
// is a small part of the reports.
const matchCountCap = 4096

// probeCost is what checking one report against the search index costs
// (a seek in each term's list) against reading the next match of the index
// and its report row: about the same.
const probeCost = 2

// scopeProbe is the condition that checks the row r against the search.
const scopeProbe = `EXISTS (SELECT 1 FROM reports_fts WHERE reports_fts MATCH ? AND rowid = r.id)`

// scopeLeads says whether f's search (led by the search index: ftsLeads)
// reads fewer rows led by the user's scope. Only a scope and the newest or
// oldest order qualify: the other orders read a window of the newest
// matches (searchWindow), whatever the scope.
func scopeLeads(ctx context.Context, tx *sql.Tx, f QueueFilter) (bool, error) {
	if !ftsLeads(f) || (f.Visible == nil && f.ProgramID == 0) {
		return false, nil
	}
	if f.Sort != "" && f.Sort != SortNewest && f.Sort != SortOldest {
		return false, nil
	}
	if searchLeadForTest != "" {
		return searchLeadForTest == "scope", nil
	}
	scope := f.Visible
	if f.ProgramID != 0 {
		scope = []int64{f.ProgramID}
	}
	var total, inScope int64
	args := make([]any, 0, len(scope))
	for _, id := range scope {
		args = append(args, id)
	}
	err := tx.QueryRowContext(ctx, `SELECT COALESCE(SUM(n), 0), COALESCE(SUM(n) FILTER (WHERE program_id IN (`+placeholders(len(scope))+`)), 0)
		FROM report_state_counts`, args...).Scan(&total, &inScope)
	if err != nil {
		return false, fmt.Errorf("db: count the scope's reports: %w", err)
	}
	if total == 0 || inScope == 0 {
		return false, nil
	}
	var matches int64
	err = tx.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM reports_fts WHERE reports_fts MATCH ? LIMIT `+fmt.Sprint(matchCountCap)+`)`,
		ftsQuery(f.Search)).Scan(&matches)
	if err != nil {
		return false, fmt.Errorf("db: count matches: %w", err)
	}
	if matches == 0 {
		return false, nil
	}
	single := len(scope) == 1
	return scopeWalkCost(total, inScope, matches, single) < ftsWalkCost(total, inScope, matches), nil
}

// searchLeadForTest forces the choice ("scope" or "index") so that the plan
// test explains both statements whatever its data.
var searchLeadForTest string

// need is how many rows a page wants: a page and the one that says there is
// a next.
const need = QueuePageSize + 1

// ftsWalkCost is how many matches the search index leads through until a
// page of the scope's is full (or every match), taking the scope's reports
// to be spread evenly among the matches.
func ftsWalkCost(total, inScope, matches int64) float64 {
	walk := float64(need) * float64(total) / float64(inScope)
	if matches < matchCountCap {
		walk = min(walk, float64(matches))
	}
	return walk
}

// scopeWalkCost is how many of the scope's reports the scope leads through
// (each checked against the search) until a page is full, or all of them.
// One program's reports are read from reports_program_id; a scope of
// several programs walks every report newest first (chooseLead has no
// index for a list of programs) and skips those of other programs, one read
// each.
func scopeWalkCost(total, inScope, matches int64, single bool) float64 {
	walk := min(float64(need)*float64(total)/float64(matches), float64(inScope))
	cost := walk * probeCost
	if !single {
		cost += walk * (float64(total)/float64(inScope) - 1)
	}
	return cost
}
