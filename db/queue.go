package db

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"
)

// QueuePageSize is how many reports one page of the queue shows.
const QueuePageSize = 50

// QueueSort is an order of the queue.
type QueueSort string

// Queue orders. Relevance applies to a search; without one it is newest.
const (
	SortNewest    QueueSort = "newest"
	SortOldest    QueueSort = "oldest"
	SortSeverity  QueueSort = "severity"
	SortDeadline  QueueSort = "deadline"
	SortRelevance QueueSort = "relevance"
)

// AssigneeNone asks the queue for unassigned reports.
const AssigneeNone int64 = -1

// QueueFilter is what a triager asks the queue for. The zero value is every
// report the caller may see, newest first.
type QueueFilter struct {
	States     []State // none: every state
	ProgramID  int64   // 0: every visible program
	Severity   Severity
	Unrated    bool  // only reports without a severity
	AssigneeID int64 // 0: anyone; AssigneeNone: unassigned
	Source     Source
	Deadline   DeadlineStatus // "", DeadlineDueSoon or DeadlineOverdue
	Clock      string         // "", ClockDue or ClockOverdue: incident clocks (incident_queue.go)
	Incidents  IncidentScope  // whose incident clocks the view shows; zero: none
	Search     string         // free text, matched with FTS5
	Sort       QueueSort
	Page       int // 1-based
	// Visible restricts the queue to these programs; nil means all (admins).
	// An empty, non-nil slice sees nothing.
	Visible []int64
	// The search as already resolved (fts_memory.go, queue_sealed.go):
	// with sealedOn, sealed reports the in-memory index matched are added
	// to the on-disk matches; with idsOnly, exactly the reports in
	// sealedIDs.
	sealedIDs []int64
	sealedOn  bool
	idsOnly   bool
	// titleFirst: a relevance search of a common word, ranked title first
	// (queue_rank.go) within its window, which starts at report windowFrom.
	titleFirst bool
	windowFrom int64
	// wholeScope: the search's scope is in its full-text query and holds
	// at most searchWindow reports, so its window is every match
	// (queue_rank.go, wholeScope).
	wholeScope bool
	// lead, when set, is the index the page walks (sortLead); else chooseLead's.
	lead *queueLead
}

// StateGroups are the words the queue accepts besides a single state.
var StateGroups = map[string][]State{
	"open":   {StateNew, StateTriaged, StateNeedsInfo, StateResolved},
	"closed": append([]State{StateDisclosed}, closedStates...),
	"all":    nil,
}

// QueueRow is one line of the queue.
type QueueRow struct {
	ID          int64
	Ref         string
	Title       string
	ProgramName string
	State       State
	Severity    Severity
	Source      Source
	Assignee    string // name or email; "" when unassigned
	CreatedAt   time.Time
	Next        *Deadline      // nil when no clock runs
	Incident    *IncidentClock // nil unless linked to an incident of the scope with a deadline pending
	sealed      bool           // Title is sealed (until openQueueTitles)
}

// Queue is one page of the queue with the counts per state of the visible
// programs (the program filter applies to the counts; the others do not).
type Queue struct {
	Rows    []*QueueRow
	Page    int
	HasNext bool
	Counts  map[State]int64
	// Sealed says which sealed reports a search looked at: all of them
	// unless the in-memory index is still being built or the key is locked.
	Sealed SealedCoverage
	// TitleFirst says that a search by relevance had a common word: its
	// newest 1,000 matches are shown with those with every word in the
	// title first, newest first (queue_rank.go), not ranked by bm25.
	TitleFirst bool
}

// Total adds the counts of the given states (all states when none).
func (q *Queue) Total(states ...State) int64 {
	var n int64
	if len(states) == 0 {
		for _, c := range q.Counts {
			n += c
		}
		return n
	}
	for _, s := range states {
		n += q.Counts[s]
	}
	return n
}

// Queue returns one page of reports matching f.
func (db *DB) Queue(ctx context.Context, f QueueFilter) (*Queue, error) {
	if f.Page < 1 {
		f.Page = 1
	}
	out := &Queue{Page: f.Page, Counts: map[State]int64{}}
	if f.Visible != nil && len(f.Visible) == 0 {
		return out, nil
	}
	if db.searchesSealed(f) && f.Sort != SortSeverity && f.Sort != SortDeadline {
		if err := db.walkSealedQueue(ctx, f, out); err != nil { // queue_sealed.go
			return nil, err
		}
		return out, db.attachIncidentClocks(ctx, f, out.Rows)
	}
	var err error
	if out.Sealed, err = db.matchSealed(ctx, &f); err != nil {
		return nil, err
	}
	tx, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	now := db.Now().UTC()
	if out.Counts, err = stateCounts(ctx, tx, f); err != nil {
		return nil, err
	}
	f.wholeScope = wholeScope(f, out.Total())
	if f.Sort == SortRelevance && ftsLeads(f) {
		if f.titleFirst, err = rankTitleFirst(ctx, tx, f.Search); err != nil {
			return nil, err
		}
		if f.titleFirst && !f.wholeScope { // a whole scope's window starts at its first match: 0 says the same
			if f.windowFrom, err = windowStart(ctx, tx, scopedMatch(ftsQuery(f.Search), f)); err != nil {
				return nil, err
			}
		}
		out.TitleFirst = f.titleFirst
	}
	if clockless(f) {
		return out, tx.Commit()
	}
	if !ftsLeads(f) {
		lead, err := sortLead(ctx, tx, f, out.Counts) // queue_sort.go
		if err != nil {
			return nil, err
		}
		if lead.lead == "empty" {
			return out, tx.Commit() // none of the user's programs has a report in these states (queue_merge.go)
		}
		f.lead = &lead
	}
	from, where, args, order := queueQuery(f, now)
	if where == "" {
		return out, tx.Commit() // a search of only punctuation matches nothing
	}
	q := `SELECT ` + queueColumns + ` ` + from + ` JOIN programs p ON p.id = r.program_id LEFT JOIN users u ON u.id = r.assignee_id ` +
		where + ` ORDER BY ` + order + ` LIMIT ? OFFSET ?`
	if !ftsLeads(f) {
		// The page's ids first, from the lead index alone where the
		// filter allows: a later page skips index entries, not rows
		// with their report text.
		var page string
		page, args = pageIDs(*f.lead, from, where, order, args)
		q = `SELECT ` + queueColumns + ` FROM reports r JOIN programs p ON p.id = r.program_id LEFT JOIN users u ON u.id = r.assignee_id
			WHERE r.id IN (` + page + `) ORDER BY ` + order
	}
	rows, err := tx.QueryContext(ctx, q, append(args, QueuePageSize+1, (f.Page-1)*QueuePageSize)...)
	if err != nil {
		return nil, fmt.Errorf("db: read queue: %w", err)
	}
	if out.Rows, err = scanQueueRows(rows, now); err != nil {
		return nil, err
	}
	if len(out.Rows) > QueuePageSize {
		out.Rows, out.HasNext = out.Rows[:QueuePageSize], true
	}
	db.openQueueTitles(out.Rows)
	if err := db.attachIncidentClocks(ctx, f, out.Rows); err != nil {
		return nil, err
	}
	return out, tx.Commit()
}

// queueColumns are what a queue row shows (scanQueueRows reads them).
const queueColumns = `r.id, p.prefix, r.number, r.title, p.name, r.state, r.severity, r.source,
	COALESCE(NULLIF(u.name, ''), u.email, ''), r.created_at, r.due_kind, r.due_at, r.due_warn_at, r.paused_at, r.sealed`

// scanQueueRows reads queue rows and closes rows; sealed titles stay
// sealed until openQueueTitles.
func scanQueueRows(rows *sql.Rows, now time.Time) ([]*QueueRow, error) {
	defer rows.Close()
	var out []*QueueRow
	for rows.Next() {
		var row QueueRow
		var prefix, created, kind string
		var number int64
		var due, warn sql.NullInt64
		var paused sql.NullString
		if err := rows.Scan(&row.ID, &prefix, &number, &row.Title, &row.ProgramName, &row.State, &row.Severity, &row.Source,
			&row.Assignee, &created, &kind, &due, &warn, &paused, &row.sealed); err != nil {
			return nil, fmt.Errorf("db: scan queue: %w", err)
		}
		row.Ref = fmt.Sprintf("%s-%d", prefix, number)
		row.CreatedAt = parseTime(created)
		row.Next = nextDeadline(kind, due, warn, paused, now)
		out = append(out, &row)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("db: read queue: %w", err)
	}
	return out, nil
}

// queueLead is the index a queue view walks: an equality on its first
// column(s) selects the reports of the view's most selective filter, in id
// order (or severity order), so a page reads that filter's reports until it
// has 50 that pass the others, never every report. The statistics do not
// choose it: with and without ANALYZE the plan is the same (INDEXED BY), and
// the other filters' columns carry a unary + so that no other index is used.
type queueLead struct {
	index string // "" for the primary key (NOT INDEXED)
	// open leads with reports_open_id or reports_open_rank: 1 for the open
	// tab, 0 for the closed one (every state is in one or the other).
	open  bool
	value int
	// arms: ranges of the index read in order and merged (pageIDs): one
	// program's states by severity, or a few programs' own (queue_merge.go).
	arms []queueArm
	lead string // the filter that leads: "assignee", "severity", ...
}

// openExpr is the expression of reports_open_id and reports_open_rank
// (migration 0022), written the same so that SQLite matches it.
const openExpr = `(r.state IN ('new', 'triaged', 'needs_info', 'resolved'))`

// stateGroup says whether states are exactly the open or the closed tab.
func stateGroup(states []State) (open, ok bool) {
	same := func(g []State) bool {
		if len(g) != len(states) {
			return false
		}
		for _, s := range g {
			if !slices.Contains(states, s) {
				return false
			}
		}
		return true
	}
	switch {
	case same(StateGroups["open"]):
		return true, true
	case same(StateGroups["closed"]):
		return false, true
	}
	return false, false
}

// chooseLead picks the index of a view (not a full-text search, which the
// search index leads): the narrowest filter there is, by kind.
func chooseLead(f QueueFilter) queueLead {
	open, group := stateGroup(f.States)
	if f.Deadline != "" && len(f.States) == 0 {
		// Only open reports have a running clock (report_deadlines).
		open, group = true, true
	}
	switch {
	case f.idsOnly:
		return queueLead{lead: "ids"}
	case f.Clock != "":
		// The reports of incidents with a clock due: a few, by key.
		return queueLead{lead: "clock"}
	case f.Sort == SortDeadline:
		// Only reports with a running clock have a deadline: the open
		// backlog, which reports_due holds.
		return queueLead{index: "reports_due", lead: "deadline"}
	case f.AssigneeID == AssigneeNone && (f.ProgramID != 0 || len(f.Visible) == 1):
		// Unassigned is a large part of every program: within one program
		// its reports lead (a client's 'unassigned', page 3, walked the
		// portal's unassigned reports: 102 ms at 100,000 over 200 programs).
		return queueLead{index: "reports_program_id", lead: "program"}
	case f.AssigneeID != 0:
		return queueLead{index: "reports_assignee_id", lead: "assignee"}
	case f.Severity != "" || f.Unrated:
		return queueLead{index: "reports_severity_id", lead: "severity"}
	case f.ProgramID != 0 || len(f.Visible) == 1:
		return queueLead{index: "reports_program_id", lead: "program"}
	case len(f.States) == 1:
		return queueLead{index: "reports_state_id", lead: "state"}
	case group:
		v := 0
		if open {
			v = 1
		}
		if f.Sort == SortSeverity {
			return queueLead{index: "reports_open_rank", open: true, value: v, lead: "group"}
		}
		return queueLead{index: "reports_open_id", open: true, value: v, lead: "group"}
	case f.Source != "":
		return queueLead{index: "reports_source_id", lead: "source"}
	case len(f.States) == 0 && f.Sort == SortSeverity:
		return queueLead{index: "reports_severity_rank", lead: "all"}
	}
	// Every report (or an unusual list of states): the primary key, newest
	// first, one page read.
	return queueLead{lead: "all"}
}

// ftsLeads says whether the on-disk search index leads f's query: a
// search that is not only of given ids nor merged with sealed matches.
func ftsLeads(f QueueFilter) bool {
	return ftsQuery(f.Search) != "" && !f.sealedOn && !f.idsOnly
}

// queueQuery builds the FROM (reports r, without programs), WHERE and ORDER BY of a queue filter. Every
// value is a placeholder; only fixed SQL fragments are concatenated. A
// further filter (a scope) is one more entry of conds with a unary + on its
// column.
func queueQuery(f QueueFilter, now time.Time) (from, where string, args []any, order string) {
	var conds []string
	search := ftsQuery(f.Search)
	if f.Search != "" && search == "" {
		return `FROM reports r`, "", nil, ""
	}
	if f.idsOnly {
		search = ""
	}
	search = scopedMatch(search, f) // queue_scope.go
	ftsLeads := ftsLeads(f)
	var lead queueLead
	switch {
	case ftsLeads:
	case f.lead != nil:
		lead = *f.lead
	default:
		lead = chooseLead(f)
	}
	// col keeps SQLite from using an index of c unless c's filter leads.
	col := func(c, which string) string {
		if lead.lead == which {
			return c
		}
		return "+" + c
	}
	switch {
	case ftsLeads:
		// CROSS JOIN: the full-text index always leads. An order other
		// than the index's (relevance, severity, deadline) sorts the newest
		// searchWindow matches: bm25 or a sort of every match of a common
		// word costs seconds at a million reports.
		if f.Sort == SortRelevance || f.Sort == SortSeverity || f.Sort == SortDeadline {
			rank := `, rank` // bm25: only where it orders (queue_rank.go)
			if f.Sort != SortRelevance || f.titleFirst {
				rank = ``
			}
			window := ` ORDER BY rowid DESC LIMIT ` + fmt.Sprint(searchWindow)
			if f.wholeScope {
				window = `` // every match, read in the index's own order (queue_rank.go)
			}
			from = `FROM (SELECT rowid` + rank + ` FROM reports_fts WHERE reports_fts MATCH ?` + window + `) f CROSS JOIN reports r ON r.id = f.rowid`
		} else {
			from = `FROM reports_fts f CROSS JOIN reports r ON r.id = f.rowid`
			conds = append(conds, `reports_fts MATCH ?`)
		}
		args = append(args, search)
	case lead.index == "":
		from = `FROM reports r NOT INDEXED`
	default:
		from = `FROM reports r INDEXED BY ` + lead.index
	}
	if lead.open {
		conds = append(conds, openExpr+` = `+fmt.Sprint(lead.value))
	}
	switch {
	case f.idsOnly:
		conds = append(conds, `r.id IN (SELECT value FROM json_each(?))`)
		args = append(args, jsonIDs(f.sealedIDs))
	case search != "" && f.sealedOn:
		// Sealed matches come from the in-memory index (fts_memory.go).
		conds = append(conds, `(r.id IN (SELECT rowid FROM reports_fts WHERE reports_fts MATCH ?) OR r.id IN (SELECT value FROM json_each(?)))`)
		args = append(args, search, jsonIDs(f.sealedIDs))
	}
	if f.Visible != nil && lead.lead != "programs" {
		// (Merged programs' arms each read one of f.Visible: queue_merge.go.)
		c := `+r.program_id IN (`
		if lead.lead == "program" && f.ProgramID == 0 {
			c = `r.program_id IN (`
		}
		conds = append(conds, c+placeholders(len(f.Visible))+`)`)
		for _, id := range f.Visible {
			args = append(args, id)
		}
	}
	if f.ProgramID != 0 {
		conds = append(conds, col(`r.program_id`, "program")+` = ?`)
		args = append(args, f.ProgramID)
	}
	if len(f.States) > 0 && !(lead.open && len(f.States) > 1) && !(len(lead.arms) > 0 && lead.arms[0].state != "") {
		// (Arms by state each read one of f.States: rankWalk, queue_merge.go.)
		conds = append(conds, col(`r.state`, "state")+` IN (`+placeholders(len(f.States))+`)`)
		for _, s := range f.States {
			args = append(args, string(s))
		}
	}
	switch {
	case f.Unrated:
		conds = append(conds, col(`r.severity`, "severity")+` = ''`)
	case f.Severity != "":
		conds = append(conds, col(`r.severity`, "severity")+` = ?`)
		args = append(args, string(f.Severity))
	}
	switch {
	case f.AssigneeID == AssigneeNone:
		conds = append(conds, col(`r.assignee_id`, "assignee")+` IS NULL`)
	case f.AssigneeID > 0:
		conds = append(conds, col(`r.assignee_id`, "assignee")+` = ?`)
		args = append(args, f.AssigneeID)
	}
	if f.Source != "" {
		conds = append(conds, col(`r.source`, "source")+` = ?`)
		args = append(args, string(f.Source))
	}
	if f.Clock != "" {
		c, a := clockCond(f, now, lead.lead == "clock")
		conds, args = append(conds, c), append(args, a...)
	}
	// A paused report is judged by the time it had left when it was paused.
	switch f.Deadline {
	case DeadlineOverdue:
		conds = append(conds, `+r.due_at IS NOT NULL AND r.due_at <= COALESCE(unixepoch(r.paused_at), ?)`)
		args = append(args, now.Unix())
	case DeadlineDueSoon:
		conds = append(conds, `+r.due_at IS NOT NULL AND r.due_warn_at <= COALESCE(unixepoch(r.paused_at), ?) AND r.due_at > COALESCE(unixepoch(r.paused_at), ?)`)
		args = append(args, now.Unix(), now.Unix())
	}
	if lead.lead == "deadline" {
		// Every report with a running clock: the whole of reports_due.
		conds = append(conds, `r.due_at > ?`)
		args = append(args, int64(-1)<<62)
		if len(f.States) > 0 && !slices.ContainsFunc(f.States, inOpenTab) {
			// Closed reports have no clock (report_deadlines): the
			// closed tab by deadline walked all of reports_due, the
			// open backlog, to find none (1 s at a million).
			// An empty range of the index (a constant false leaves
			// SQLite no plan with INDEXED BY).
			conds = append(conds, `r.due_at < ?`)
			args = append(args, int64(-1)<<62)
		}
	}
	if len(conds) > 0 {
		where = ` WHERE ` + strings.Join(conds, ` AND `)
	} else {
		where = ` WHERE 1`
	}
	// Report ids grow with arrival, so "newest" is id order.
	newest := `r.id DESC`
	if ftsLeads {
		newest = `f.rowid DESC`
	}
	switch f.Sort {
	case SortOldest:
		order = `r.id ASC`
		if ftsLeads {
			order = `f.rowid ASC`
		}
	case SortSeverity:
		order = severityRank + ` DESC, r.id DESC`
		if f.Severity != "" || f.Unrated {
			// One severity: its rank is the same for every match, and
			// the lead's own order (id) needs no sort of them all.
			order = newest
		}
	case SortDeadline:
		// Only reports with a running clock have a next deadline to sort by.
		if lead.lead != "deadline" {
			conds = append(conds, `r.due_at IS NOT NULL`)
			where = ` WHERE ` + strings.Join(conds, ` AND `)
		}
		order = `r.due_at, r.id`
	case SortRelevance:
		if ftsLeads && f.titleFirst {
			order = titleFirstOrder
			args = append(args, titleMatch(search), f.windowFrom)
		} else if ftsLeads {
			order = `f.rank, f.rowid` // ties oldest first, as the in-memory index ranks them
		} else {
			order = newest
		}
	default:
		order = newest
	}
	return from, where, args, order
}

// searchWindow is how many of a search's newest matches a sort other
// than by date orders: bm25 costs a lookup per match, and a common word
// matches most reports.
const searchWindow = 1000

// severityRank is the expression of the reports_severity_rank index.
const severityRank = `(CASE r.severity WHEN 'critical' THEN 5 WHEN 'high' THEN 4 WHEN 'medium' THEN 3 WHEN 'low' THEN 2 WHEN 'none' THEN 1 ELSE 0 END)`

func placeholders(n int) string {
	if n == 0 {
		return `NULL`
	}
	return strings.TrimSuffix(strings.Repeat(`?, `, n), `, `)
}

// stateCounts reads the counts the triggers keep.
func stateCounts(ctx context.Context, tx *sql.Tx, f QueueFilter) (map[State]int64, error) {
	q := `SELECT state, SUM(n) FROM report_state_counts WHERE 1`
	var args []any
	if f.Visible != nil {
		q += ` AND program_id IN (` + placeholders(len(f.Visible)) + `)`
		for _, id := range f.Visible {
			args = append(args, id)
		}
	}
	if f.ProgramID != 0 {
		q += ` AND program_id = ?`
		args = append(args, f.ProgramID)
	}
	rows, err := tx.QueryContext(ctx, q+` GROUP BY state`, args...)
	if err != nil {
		return nil, fmt.Errorf("db: count states: %w", err)
	}
	defer rows.Close()
	counts := map[State]int64{}
	for rows.Next() {
		var s State
		var n int64
		if err := rows.Scan(&s, &n); err != nil {
			return nil, fmt.Errorf("db: scan state count: %w", err)
		}
		counts[s] = n
	}
	return counts, rows.Err()
}
