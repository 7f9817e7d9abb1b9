package db

import (
	"context"
	"fmt"
	"sort"
	"time"
)

// Milestone is how fast a set of reports reached one milestone (first
// response, triage, resolution): how many did, their median wall-clock time
// from arrival, and how many did so within their program's target.
type Milestone struct {
	N      int64
	Median time.Duration
	Within int64
	// Exact is false when some target is not a bucket boundary (see
	// migration 0027): Within is then a lower bound.
	Exact bool
}

// Share is the fraction of N within target, 0 when N is 0.
func (m Milestone) Share() float64 {
	if m.N == 0 {
		return 0
	}
	return float64(m.Within) / float64(m.N)
}

// MonthMetrics are the numbers of one calendar month (UTC).
type MonthMetrics struct {
	Month         time.Time // first day of the month
	Received      int64
	FirstResponse Milestone
	Triage        Milestone
	Resolution    Milestone
}

// AgeBands are the ages of the open-reports table, in days: a report is in
// the first band whose limit exceeds its age, the last band has none.
var AgeBands = []int{7, 30, 90, 365}

// OpenBySeverity counts the open reports (new, triaged, needs_info) of one
// severity ("" unrated) by age band (len(AgeBands)+1 counts).
type OpenBySeverity struct {
	Severity Severity
	ByAge    []int64
	Total    int64
}

// Metrics are the numbers a team reports on for a set of programs: the
// queue as it stands, what arrived each month, how fast it answered,
// triaged and resolved against the programs' targets, and the open reports
// by severity and age.
type Metrics struct {
	From, To      time.Time // first days of the first and last month
	Months        []MonthMetrics
	Received      int64 // over all the months
	FirstResponse Milestone
	Triage        Milestone
	Resolution    Milestone
	Counts        map[State]int64 // now
	Open          []OpenBySeverity
	OpenTotal     int64
}

// MetricSeverities is the order of the open-reports table.
var MetricSeverities = []Severity{"critical", "high", "medium", "low", "none", ""}

// maxMetricMonths bounds the months one page reads.
const maxMetricMonths = 60

// MonthStart is the first day (UTC) of t's month.
func MonthStart(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// Metrics computes the metrics of the months from..to (both included,
// rounded to their months) for programs. It reads the counters triggers keep
// (migration 0027), never the reports, so its cost depends on the number of
// programs and months, not of reports. A milestone counts in the month it
// happened, measured from the report's arrival (wall-clock time; the queue's
// deadlines stop while a report waits in needs_info, these do not).
func (db *DB) Metrics(ctx context.Context, programs []*Program, from, to time.Time) (*Metrics, error) {
	from, to = MonthStart(from), MonthStart(to)
	if to.Before(from) {
		return nil, Errorf(EINVALID, "The end of the period must not be before its start.")
	}
	if to.After(from.AddDate(0, maxMetricMonths-1, 0)) {
		return nil, Errorf(EINVALID, "Choose at most %d months.", maxMetricMonths)
	}
	m := &Metrics{From: from, To: to, Counts: map[State]int64{}}
	for t := from; !t.After(to); t = t.AddDate(0, 1, 0) {
		m.Months = append(m.Months, MonthMetrics{Month: t})
	}
	for _, s := range MetricSeverities {
		m.Open = append(m.Open, OpenBySeverity{Severity: s, ByAge: make([]int64, len(AgeBands)+1)})
	}
	if len(programs) == 0 {
		return m, nil
	}
	ids := make([]any, len(programs))
	byID := map[int64]*Program{}
	for i, p := range programs {
		ids[i], byID[p.ID] = p.ID, p
	}
	tx, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	visible := make([]int64, len(programs))
	for i, p := range programs {
		visible[i] = p.ID
	}
	if m.Counts, err = stateCounts(ctx, tx, QueueFilter{Visible: visible}); err != nil {
		return nil, err
	}
	// One histogram per month and milestone, per program (targets differ).
	type key struct {
		month int
		kind  string
	}
	hist := map[key]*histogram{}
	total := map[string]*histogram{}
	rows, err := tx.QueryContext(ctx, `SELECT program_id, kind, period, severity, bucket, n FROM report_metrics
		WHERE program_id IN (`+placeholders(len(ids))+`) AND kind IN ('received', 'first_response', 'triage', 'resolution')
			AND period >= ? AND period <= ? AND n > 0`, append(ids, from.Format("2006-01"), to.Format("2006-01"))...)
	if err != nil {
		return nil, fmt.Errorf("db: read metric counts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var pid, bucket, n int64
		var kind, period string
		var sev Severity
		if err := rows.Scan(&pid, &kind, &period, &sev, &bucket, &n); err != nil {
			return nil, fmt.Errorf("db: scan metric count: %w", err)
		}
		t, err := time.Parse("2006-01", period)
		if err != nil {
			continue
		}
		i := monthsBetween(from, t)
		if i < 0 || i >= len(m.Months) {
			continue
		}
		if kind == "received" {
			m.Months[i].Received += n
			m.Received += n
			continue
		}
		target := int64(targetDays(byID[pid], kind, sev)) * 86400
		for _, h := range []*histogram{getHist(hist, key{i, kind}), getHistS(total, kind)} {
			h.add(bucket, n, target)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("db: read metric counts: %w", err)
	}
	for i := range m.Months {
		mm := &m.Months[i]
		mm.FirstResponse = hist[key{i, "first_response"}].milestone()
		mm.Triage = hist[key{i, "triage"}].milestone()
		mm.Resolution = hist[key{i, "resolution"}].milestone()
	}
	m.FirstResponse, m.Triage, m.Resolution = total["first_response"].milestone(), total["triage"].milestone(), total["resolution"].milestone()
	if err := db.openByAge(ctx, tx, ids, m); err != nil {
		return nil, err
	}
	return m, tx.Commit()
}

// openByAge fills m.Open from the 'open' counters (one per program, day of
// arrival and severity).
func (db *DB) openByAge(ctx context.Context, tx queryer, ids []any, m *Metrics) error {
	today := db.Now().UTC().Truncate(24 * time.Hour)
	sevIndex := map[Severity]int{}
	for i, s := range MetricSeverities {
		sevIndex[s] = i
	}
	rows, err := tx.QueryContext(ctx, `SELECT period, severity, n FROM report_metrics
		WHERE program_id IN (`+placeholders(len(ids))+`) AND kind = 'open' AND n > 0`, ids...)
	if err != nil {
		return fmt.Errorf("db: read open counts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var day string
		var sev Severity
		var n int64
		if err := rows.Scan(&day, &sev, &n); err != nil {
			return fmt.Errorf("db: scan open count: %w", err)
		}
		t, err := time.Parse("2006-01-02", day)
		if err != nil {
			continue
		}
		age := int(today.Sub(t).Hours() / 24)
		band := sort.SearchInts(AgeBands, age+1)
		si, ok := sevIndex[sev]
		if !ok {
			continue
		}
		m.Open[si].ByAge[band] += n
		m.Open[si].Total += n
		m.OpenTotal += n
	}
	return rows.Err()
}

// targetDays is a program's target for a milestone (resolution: by
// severity; unrated reports take the low target, as the deadlines do).
func targetDays(p *Program, kind string, sev Severity) int {
	if p == nil {
		return 0
	}
	switch kind {
	case "first_response":
		return p.FirstResponseDays
	case "triage":
		return p.TriageDays
	}
	switch sev {
	case "critical":
		return p.ResolveCriticalDays
	case "high":
		return p.ResolveHighDays
	case "medium":
		return p.ResolveMediumDays
	}
	return p.ResolveLowDays
}

// isBucketBoundary says whether s seconds ends a bucket of migration 0027.
func isBucketBoundary(s int64) bool {
	switch {
	case s <= 172800:
		return s%3600 == 0
	case s <= 8640000:
		return s%86400 == 0
	case s <= 34560000:
		return s%432000 == 0
	}
	return false
}

// histogram is a count per bucket (upper bound, seconds) and how many were
// within target.
type histogram struct {
	n, within int64
	inexact   bool
	buckets   map[int64]int64
}

func getHist[K comparable](m map[K]*histogram, k K) *histogram {
	h := m[k]
	if h == nil {
		h = &histogram{buckets: map[int64]int64{}}
		m[k] = h
	}
	return h
}

func getHistS(m map[string]*histogram, k string) *histogram { return getHist(m, k) }

func (h *histogram) add(bucket, n, target int64) {
	h.n += n
	h.buckets[bucket] += n
	if bucket <= target {
		h.within += n
	}
	if !isBucketBoundary(target) {
		h.inexact = true
	}
}

// milestone is the histogram's summary; the median is the bucket bound of
// the middle report (the mean of the two middle ones for an even count).
func (h *histogram) milestone() Milestone {
	if h == nil || h.n == 0 {
		return Milestone{Exact: true}
	}
	bounds := make([]int64, 0, len(h.buckets))
	for b := range h.buckets {
		bounds = append(bounds, b)
	}
	sort.Slice(bounds, func(i, j int) bool { return bounds[i] < bounds[j] })
	at := func(rank int64) int64 { // rank from 0
		var seen int64
		for _, b := range bounds {
			seen += h.buckets[b]
			if seen > rank {
				return b
			}
		}
		return bounds[len(bounds)-1]
	}
	med := at((h.n - 1) / 2)
	if h.n%2 == 0 {
		med = (med + at(h.n/2)) / 2
	}
	return Milestone{N: h.n, Median: time.Duration(med) * time.Second, Within: h.within, Exact: !h.inexact}
}

// monthsBetween is how many months t is after from (both first days).
func monthsBetween(from, t time.Time) int {
	return (t.Year()-from.Year())*12 + int(t.Month()) - int(from.Month())
}
