package db

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
)

// A user who sees a few programs of many (a parent organisation's triager:
// 10 programs of 200) had the views without a narrower filter (a tab, a
// state, every report, the unassigned) walk an index of every program and
// keep the rows of theirs: 1 row in 20, so "open, unassigned, page 3" read
// about 3,000 rows with their reports (35–60 ms p99 at 100,000 reports over
// 200 organisations) and "open by severity" 1,000. Such a view now reads
// each of the user's programs through its own index, reports_program_id in
// id order or reports_program_rank state by state in severity order, and
// merges them (SQLite's MERGE of a compound SELECT, as pageIDs does for one
// program's states): a page stops after its rows plus one per arm. Arms
// that the counts the triggers keep (report_state_counts) show to be empty
// are left out, so no arm walks a program to find nothing.

// mergeArmsMax is the most arms (program, or program × state by severity)
// a merged page reads; SQLite refuses a compound SELECT of more than 500,
// and a user who sees more programs than this sees a large part of the
// portal, whose own indexes fill a page quickly.
const mergeArmsMax = 128

// mergeRatio is how many of a range's reports per report of the user's
// make a view in id order read their programs merged (mergeLead).
var mergeRatio int64 = 32

// queueArm is one ordered range a merged page reads: a program's reports
// (in id order), or one state of it (in severity order) when state is set.
type queueArm struct {
	program int64 // 0: the program of the view's filter (pageIDs' where)
	state   State
}

// mergeLead is lead, or for a user of a few programs whose view lead is a
// broad one (a tab, a state, every report, the unassigned) the merge of
// their programs' own ranges (the doc above).
// scoped are the counts per state of the user's programs (stateCounts).
func mergeLead(ctx context.Context, tx *sql.Tx, f QueueFilter, lead queueLead, scoped map[State]int64) (queueLead, error) {
	broad := lead.lead == "group" || lead.lead == "state" || lead.lead == "all" ||
		(lead.lead == "assignee" && f.AssigneeID == AssigneeNone)
	if !broad || mergeOffForTest || f.ProgramID != 0 || len(f.Visible) < 2 || len(f.Visible) > mergeArmsMax ||
		f.idsOnly || f.Clock != "" || f.Sort == SortDeadline || f.Search != "" {
		return lead, nil
	}
	states := f.States
	if f.Deadline != "" && len(states) == 0 {
		states = StateGroups["open"] // only open reports have a clock (chooseLead)
	}
	ranked := f.Sort == SortSeverity && f.Severity == "" && !f.Unrated
	if !ranked && lead.lead != "assignee" {
		// In id order a tab's, a state's or every report's own index
		// reads about 51 × page × (its reports / the user's) entries,
		// and each arm costs about as much as reading 100 to prepare and
		// start (a parent's 10 programs of 200, the open tab: 0.49 ms
		// walked, 0.84 ms merged): merge only where the user's programs
		// are a small part of the range.
		// One sum, not globalCounts' sum per state (330 µs at 200
		// programs, a third of the page).
		q, args := `SELECT COALESCE(SUM(n), 0) FROM report_state_counts`, []any{}
		if len(states) > 0 {
			q += ` WHERE state IN (` + placeholders(len(states)) + `)`
			for _, s := range states {
				args = append(args, string(s))
			}
		}
		var all, mine int64
		if err := tx.QueryRowContext(ctx, q, args...).Scan(&all); err != nil {
			return lead, fmt.Errorf("db: count the reports of a view: %w", err)
		}
		for s, n := range scoped {
			if len(states) == 0 || slices.Contains(states, s) {
				mine += n
			}
		}
		if mine > 0 && all/mine < mergeRatio {
			return lead, nil
		}
	}
	counts, err := programStateCounts(ctx, tx, f.Visible)
	if err != nil {
		return lead, err
	}
	var arms []queueArm
	for _, p := range f.Visible {
		if ranked {
			all := states
			if len(all) == 0 {
				all = slices.Concat(StateGroups["open"], StateGroups["closed"])
			}
			for _, s := range all {
				if counts[p][s] > 0 {
					arms = append(arms, queueArm{program: p, state: s})
				}
			}
			continue
		}
		var n int64
		for s, c := range counts[p] {
			if len(states) == 0 || slices.Contains(states, s) {
				n += c
			}
		}
		if n > 0 {
			arms = append(arms, queueArm{program: p})
		}
	}
	if len(arms) > mergeArmsMax {
		return lead, nil
	}
	if len(arms) == 0 {
		// Nothing of theirs in these states: an empty page, at once.
		return queueLead{lead: "empty"}, nil
	}
	index := "reports_program_id"
	if ranked {
		index = "reports_program_rank"
	}
	return queueLead{index: index, arms: arms, lead: "programs"}, nil
}

// programStateCounts are the counts per program and state the triggers
// keep, for programs.
func programStateCounts(ctx context.Context, tx *sql.Tx, programs []int64) (map[int64]map[State]int64, error) {
	args := make([]any, len(programs))
	for i, id := range programs {
		args[i] = id
	}
	rows, err := tx.QueryContext(ctx, `SELECT program_id, state, n FROM report_state_counts WHERE program_id IN (`+placeholders(len(programs))+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("db: count programs' states: %w", err)
	}
	defer rows.Close()
	out := map[int64]map[State]int64{}
	for rows.Next() {
		var p, n int64
		var s State
		if err := rows.Scan(&p, &s, &n); err != nil {
			return nil, fmt.Errorf("db: scan program state count: %w", err)
		}
		if out[p] == nil {
			out[p] = map[State]int64{}
		}
		out[p][s] += n
	}
	return out, rows.Err()
}

// pageIDs is the statement of a page's report ids, in order, from the FROM,
// WHERE and ORDER BY of queueQuery; its placeholders are args and then the
// LIMIT and OFFSET. With arms (one program's states by severity, a few
// programs' own ranges) each arm's range of the lead index is read in
// order and the ranges merged (SQLite's MERGE of a compound SELECT), so
// that a page stops after its rows.
func pageIDs(lead queueLead, from, where, order string, args []any) (string, []any) {
	if len(lead.arms) == 0 {
		return `SELECT r.id ` + from + where + ` ORDER BY ` + order + ` LIMIT ? OFFSET ?`, args
	}
	parts := make([]string, len(lead.arms))
	var all []any
	ranked := lead.arms[0].state != ""
	for i, a := range lead.arms {
		arm := `SELECT r.id AS id ` + from + where
		if ranked {
			arm = `SELECT r.id AS id, ` + severityRank + ` AS k ` + from + where
		}
		all = append(all, args...)
		if a.program != 0 {
			arm += ` AND r.program_id = ?`
			all = append(all, a.program)
		}
		if a.state != "" {
			arm += ` AND r.state = ?`
			all = append(all, string(a.state))
		}
		parts[i] = arm
	}
	merged := ` ORDER BY id DESC`
	switch {
	case ranked:
		merged = ` ORDER BY k DESC, id DESC`
	case strings.HasSuffix(order, `ASC`):
		merged = ` ORDER BY id ASC`
	}
	return `SELECT id FROM (` + strings.Join(parts, ` UNION ALL `) + merged + ` LIMIT ? OFFSET ?)`, all
}

// mergeOffForTest keeps the single-index walks (tests compare both).
var mergeOffForTest bool
