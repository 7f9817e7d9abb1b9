package db

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
)

// A sort by severity reads a severity-ranked index in the page's order and
// stops after 50 that pass the other filters. One program: its states'
// ranges of reports_program_rank, merged (pageIDs); one state:
// reports_state_rank; the open or closed tab: reports_open_rank; every
// state: reports_severity_rank. Their own filters' indexes (an assignee's, a
// source's) would read all their reports and sort them before the first
// page is known (an assignee's 86,000 to 259,000 reports at a million); a
// ranked walk filtered by them reads about 51 × page × range / matches
// rows, long when the filter is rare. sortLead estimates both, from the
// counts the triggers keep and a count that stops where walking is surely
// cheaper, and takes the cheaper: a page then costs at most about
// sqrt(51 × page × reports) rows either way (7,100 at a million).

// sortLead is the lead of f's page: chooseLead's, or for a sort by severity
// a severity-ranked walk, unless an assignee's or a source's few reports
// are cheaper sorted (the doc above). scoped are the counts per state of
// f's programs (stateCounts).
func sortLead(ctx context.Context, tx *sql.Tx, f QueueFilter, scoped map[State]int64) (queueLead, error) {
	lead, err := viewLead(ctx, tx, f, scoped)
	if err != nil {
		return lead, err
	}
	return mergeLead(ctx, tx, f, lead, scoped) // queue_merge.go
}

// viewLead is sortLead's choice among the single-index walks.
func viewLead(ctx context.Context, tx *sql.Tx, f QueueFilter, scoped map[State]int64) (queueLead, error) {
	lead := chooseLead(f)
	if f.Sort != SortSeverity || f.Severity != "" || f.Unrated || f.idsOnly || f.Clock != "" || f.Search != "" {
		// A severity filter ranks every match the same: the order is
		// the lead's own (queueQuery). A search merged with sealed
		// matches keeps its filter's lead: a ranked walk checks each
		// report against the search, and a rare word would be looked
		// for through the whole range.
		return lead, nil
	}
	global, err := globalCounts(ctx, tx)
	if err != nil {
		return lead, err
	}
	walk, rng := rankWalk(f, scoped, global)
	if lead.lead != "assignee" && lead.lead != "source" {
		return walk, nil
	}
	var total int64
	for _, n := range global {
		total += n
	}
	page := int64(max(f.Page, 1))
	// Counted up to where walking is surely cheaper: c² > 51 × page ×
	// reports.
	limit := int64(math.Sqrt(float64(QueuePageSize+1)*float64(page)*float64(max(total, 1)))) + 1
	c, err := leadCount(ctx, tx, f, lead, limit)
	if err != nil {
		return lead, err
	}
	// The walk's matches: the filter's reports as if spread evenly.
	per := float64(QueuePageSize+1) * float64(page)
	matches := max(c*rng/max(total, 1), 1)
	best, cost := walk, per*float64(rng)/float64(matches)
	if len(walk.arms) > 1 {
		// One program's ranges merged: a state the filter never goes
		// with (no one is assigned a new report) is read to its end,
		// so count the whole of them. The same ranked index of every
		// program, filtered by the program too, may be shorter: for a
		// program that holds a large part of the reports (an assignee's
		// open reports of a program with a third of a million: 44 ms
		// merged, 2 ms so).
		cost = float64(rng)
		g := f
		g.ProgramID, g.Visible = 0, nil
		if all, n := rankWalk(g, global, global); len(all.arms) == 0 {
			if w := per * float64(n) / float64(matches); w < cost {
				best, cost = all, w
			}
		}
	}
	if c >= limit || cost < float64(c) {
		return best, nil
	}
	return lead, nil
}

// rankWalk is the severity-ranked lead of f's view and how many reports
// its range holds.
func rankWalk(f QueueFilter, scoped, global map[State]int64) (queueLead, int64) {
	states := f.States
	if f.Deadline != "" && len(states) == 0 {
		// Only open reports have a clock (as chooseLead).
		states = StateGroups["open"]
	}
	count := func(c map[State]int64) int64 {
		var n int64
		for s, k := range c {
			if len(states) == 0 || slices.Contains(states, s) {
				n += k
			}
		}
		return n
	}
	open, group := stateGroup(states)
	switch {
	case f.ProgramID != 0 || len(f.Visible) == 1:
		// Each state one range of the program's (scoped counts are the
		// program's), merged.
		if len(states) == 0 {
			states = slices.Concat(StateGroups["open"], StateGroups["closed"])
		}
		arms := make([]queueArm, len(states))
		for i, s := range states {
			arms[i] = queueArm{state: s}
		}
		return queueLead{index: "reports_program_rank", arms: arms, lead: "program"}, count(scoped)
	case len(states) == 1:
		return queueLead{index: "reports_state_rank", lead: "state"}, count(global)
	case group:
		v := 0
		if open {
			v = 1
		}
		return queueLead{index: "reports_open_rank", open: true, value: v, lead: "group"}, count(global)
	}
	return queueLead{index: "reports_severity_rank", lead: "all"}, count(global)
}

// clockless says that f asks for a clock (a deadline filter or sort) of
// closed states only, which have none (report_deadlines): the view is
// empty, and walking the closed reports or the open backlog (reports_due)
// to find none cost about a second at a million reports.
func clockless(f QueueFilter) bool {
	return (f.Deadline != "" || f.Sort == SortDeadline) && len(f.States) > 0 && !slices.ContainsFunc(f.States, inOpenTab)
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
