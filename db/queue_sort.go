package db

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
)

// A sort by severity has two ways to read a page. Its filter's index (a
// state's, an assignee's, a source's) reads exactly the filter's reports,
// but in id order: all of them are read and sorted before the first page
// is known (an assignee's 86,000 to 259,000 reports at a million, a
// state's 102,000: 430 ms). A severity-ranked index (reports_open_rank,
// reports_program_rank, reports_severity_rank) reads in the page's order
// and stops after 50 that pass the filter: about 51 × page × range / matches
// rows, which is long when the filter is rare in the range. sortLead
// estimates both from the counts the triggers keep (report_state_counts)
// or a count that stops at the point where walking is surely cheaper, and
// takes the cheaper: the cost of a page is then at most about
// sqrt(51 × page × reports) rows either way (7,100 at a million).

// sortLead is the lead of f's page: chooseLead's, or for a sort by severity
// the cheaper of its filter's index (then a sort) and a severity-ranked
// index walked in order (sortLead's doc above). scoped are the counts per
// state of f's programs (stateCounts).
func sortLead(ctx context.Context, tx *sql.Tx, f QueueFilter, scoped map[State]int64) (queueLead, error) {
	lead := chooseLead(f)
	if f.Sort != SortSeverity || f.Severity != "" || f.Unrated || f.idsOnly || f.Clock != "" || ftsLeads(f) {
		// A severity filter ranks every match the same: the order is
		// the lead's own (queueQuery).
		return lead, nil
	}
	switch lead.lead {
	case "group":
		return lead, nil // reports_open_rank already
	case "all":
		if lead.index == "reports_severity_rank" {
			return lead, nil
		}
	}
	global, err := globalCounts(ctx, tx)
	if err != nil {
		return lead, err
	}
	walk, rng := rankWalk(f, scoped, global)
	var total int64
	for _, n := range global {
		total += n
	}
	page := int64(max(f.Page, 1))
	walkCost := func(matches int64) float64 {
		return float64(QueuePageSize+1) * float64(page) * float64(rng) / float64(max(matches, 1))
	}
	switch lead.lead {
	case "state":
		// The state's index reads the state's reports of every program.
		if walkCost(scoped[f.States[0]]) < float64(global[f.States[0]]) {
			return walk, nil
		}
		return lead, nil
	case "program":
		// The program's ranked range is never longer than the program.
		if len(f.States) == 1 && walkCost(scoped[f.States[0]]) >= float64(global[f.States[0]]) {
			return queueLead{index: "reports_state_id", lead: "state"}, nil
		}
		return walk, nil
	case "assignee", "source":
		// Counted up to where walking is surely cheaper: c² > 51 × page
		// × reports.
		limit := int64(math.Sqrt(float64(QueuePageSize+1)*float64(page)*float64(max(total, 1)))) + 1
		c, err := leadCount(ctx, tx, f, lead, limit)
		if err != nil {
			return lead, err
		}
		// Its matches within the walk's range, as if spread evenly.
		if c >= limit || walkCost(c*rng/max(total, 1)) < float64(c) {
			return walk, nil
		}
		return lead, nil
	}
	// An unusual list of states (not from the queue's form): the ranked
	// index of every report, filtered.
	return walk, nil
}

// rankWalk is the severity-ranked index of f's view and how many reports
// its range holds: one program's (open or closed tab, a state's tab, or both
// merged), else the open or closed tab's of every program, else every
// report's.
func rankWalk(f QueueFilter, scoped, global map[State]int64) (queueLead, int64) {
	open, group := stateGroup(f.States)
	if len(f.States) == 1 {
		open, group = inOpenTab(f.States[0]), true
	}
	v := 0
	if open {
		v = 1
	}
	sum := func(c map[State]int64, open bool) int64 {
		var n int64
		for s, k := range c {
			if inOpenTab(s) == open {
				n += k
			}
		}
		return n
	}
	switch {
	case f.ProgramID != 0 || len(f.Visible) == 1:
		// scoped counts are the program's (stateCounts).
		if group {
			return queueLead{index: "reports_program_rank", open: true, value: v, lead: "program"}, sum(scoped, open)
		}
		return queueLead{index: "reports_program_rank", merge: true, lead: "program"}, sum(scoped, true) + sum(scoped, false)
	case group:
		return queueLead{index: "reports_open_rank", open: true, value: v, lead: "group"}, sum(global, open)
	}
	return queueLead{index: "reports_severity_rank", lead: "all"}, sum(global, true) + sum(global, false)
}

// inOpenTab says whether s is in the open tab (openExpr).
func inOpenTab(s State) bool { return slices.Contains(StateGroups["open"], s) }

// globalCounts are the counts per state of every program.
func globalCounts(ctx context.Context, tx *sql.Tx) (map[State]int64, error) {
	return stateCounts(ctx, tx, QueueFilter{})
}

// leadCount counts the reports of an assignee or source lead, stopping at
// limit: its own index, read alone.
func leadCount(ctx context.Context, tx *sql.Tx, f QueueFilter, lead queueLead, limit int64) (int64, error) {
	var cond string
	var arg any
	switch {
	case lead.lead == "source":
		cond, arg = `source = ?`, string(f.Source)
	case f.AssigneeID == AssigneeNone:
		cond = `assignee_id IS NULL`
	default:
		cond, arg = `assignee_id = ?`, f.AssigneeID
	}
	args := []any{limit}
	if arg != nil {
		args = []any{arg, limit}
	}
	var n int64
	err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM reports INDEXED BY `+lead.index+` WHERE `+cond+` LIMIT ?)`, args...).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("db: count the queue's lead: %w", err)
	}
	return n, nil
}

// pageIDs is the statement of a page's report ids, in order, from the FROM,
// WHERE and ORDER BY of queueQuery; its placeholders are args and then the
// LIMIT and OFFSET. With a merged lead (every state of one program by
// severity) the program's open and closed ranges of reports_program_rank
// are read each in order and merged (SQLite's MERGE of a compound SELECT),
// so that a page stops after its rows.
func pageIDs(lead queueLead, from, where, order string, args []any) (string, []any) {
	if !lead.merge {
		return `SELECT r.id ` + from + where + ` ORDER BY ` + order + ` LIMIT ? OFFSET ?`, args
	}
	arm := func(v int) string {
		return `SELECT r.id AS id, ` + severityRank + ` AS k ` + from + where + ` AND ` + openExpr + ` = ` + fmt.Sprint(v)
	}
	return `SELECT id FROM (` + arm(1) + ` UNION ALL ` + arm(0) + ` ORDER BY k DESC, id DESC LIMIT ? OFFSET ?)`,
		append(append([]any(nil), args...), args...)
}
