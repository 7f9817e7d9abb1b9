package db

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// QueueParams is a queue filter as text, as URLs and command lines carry it,
// so that a view can be bookmarked and the same words work on the CLI.
type QueueParams struct {
	State    string // open (default), closed, all, or one state
	Program  string // program slug
	Severity string // critical … none, or "unrated"
	Assignee string // anyone (default), me, none, or a user id
	Source   string // web or email
	Deadline string // due_soon or overdue
	Clock    string // incident clocks: due (soon or overdue) or overdue
	Search   string
	Sort     string
	Page     string
}

// MaxSearchBytes and MaxSearchWords bound a queue search (the pages', the
// CLI's and the API's q): every word costs a full-text lookup, and a
// relevance search counts each word's matches (queue_rank.go). Real
// searches are a few words; past these a search is refused with a field
// error, the form keeping what was typed.
const (
	MaxSearchBytes = 500
	MaxSearchWords = 32
)

// QueueParamsFrom reads the filter of a URL query, field by field.
func QueueParamsFrom(q url.Values) QueueParams {
	return QueueParams{State: q.Get("state"), Program: q.Get("program"), Severity: q.Get("severity"),
		Assignee: q.Get("assignee"), Source: q.Get("source"), Deadline: q.Get("deadline"), Clock: q.Get("clock"), Search: q.Get("q"),
		Sort: q.Get("sort"), Page: q.Get("page")}
}

// Query is the URL query of p, without empty fields and defaults.
func (p QueueParams) Query() url.Values {
	v := url.Values{}
	for _, kv := range [][2]string{{"q", p.Search}, {"state", p.State}, {"program", p.Program}, {"severity", p.Severity},
		{"assignee", p.Assignee}, {"source", p.Source}, {"deadline", p.Deadline}, {"clock", p.Clock}, {"sort", p.Sort}, {"page", p.Page}} {
		if kv[1] != "" {
			v.Set(kv[0], kv[1])
		}
	}
	return v
}

// String is p as a short text for the audit log (no search words: they may
// quote report text).
func (p QueueParams) String() string {
	q := p.Query()
	if q.Has("q") {
		q.Set("q", "…")
	}
	return q.Encode()
}

// ParseQueueParams turns text into a filter; me is the asking user's id (for
// "assigned to me"). Each bad field gets a message.
func (db *DB) ParseQueueParams(ctx context.Context, p QueueParams, me int64) (QueueFilter, error) {
	var f QueueFilter
	errs := FieldErrors{}
	switch st := strings.TrimSpace(p.State); {
	case st == "":
		f.States = StateGroups["open"]
	case StateGroups[st] != nil || st == "all":
		f.States = StateGroups[st]
	case State(st).Valid():
		f.States = []State{State(st)}
	default:
		errs["state"] = "Choose a state from the list."
	}
	if p.Program != "" {
		prog, err := db.programWhere(ctx, `slug = ?`, p.Program)
		if ErrorCode(err) == ENOTFOUND {
			errs["program"] = "Choose a program from the list."
		} else if err != nil {
			return f, err
		} else {
			f.ProgramID = prog.ID
		}
	}
	switch sev := Severity(p.Severity); {
	case sev == "":
	case sev == "unrated":
		f.Unrated = true
	case sev == SeverityCritical, sev == SeverityHigh, sev == SeverityMedium, sev == SeverityLow, sev == SeverityNone:
		f.Severity = sev
	default:
		errs["severity"] = "Choose a severity from the list."
	}
	switch p.Assignee {
	case "", "anyone":
	case "me":
		f.AssigneeID = me
	case "none":
		f.AssigneeID = AssigneeNone
	default:
		id, err := strconv.ParseInt(p.Assignee, 10, 64)
		if err != nil || id <= 0 {
			errs["assignee"] = "Choose an assignee from the list."
		}
		f.AssigneeID = id
	}
	switch Source(p.Source) {
	case "", SourceWeb, SourceEmail:
		f.Source = Source(p.Source)
	default:
		errs["source"] = "Choose web or email."
	}
	switch DeadlineStatus(p.Deadline) {
	case "", DeadlineDueSoon, DeadlineOverdue:
		f.Deadline = DeadlineStatus(p.Deadline)
	default:
		errs["deadline"] = "Choose due soon or overdue."
	}
	switch p.Clock {
	case "", ClockDue, ClockOverdue:
		f.Clock = p.Clock
	default:
		errs["clock"] = "Choose due soon or overdue."
	}
	switch search := strings.TrimSpace(p.Search); {
	case len(search) > MaxSearchBytes:
		errs["q"] = fmt.Sprintf("Search for at most %d characters.", MaxSearchBytes)
	case len(strings.Fields(search)) > MaxSearchWords:
		errs["q"] = fmt.Sprintf("Search for at most %d words.", MaxSearchWords)
	default:
		f.Search = search
	}
	switch QueueSort(p.Sort) {
	case "":
		// Newest first, searches too: bm25 ranks every match, which costs
		// milliseconds on a common word; relevance is one choice away.
		f.Sort = SortNewest
	case SortNewest, SortOldest, SortSeverity, SortDeadline, SortRelevance:
		f.Sort = QueueSort(p.Sort)
	default:
		errs["sort"] = "Choose an order from the list."
	}
	f.Page = 1
	if p.Page != "" {
		n, err := strconv.Atoi(p.Page)
		if err != nil || n < 1 || n > 100000 {
			errs["page"] = "Pages are numbered from 1."
		} else {
			f.Page = n
		}
	}
	if len(errs) > 0 {
		return f, Invalid(errs)
	}
	return f, nil
}
