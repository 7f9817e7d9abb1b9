package db

import (
	"context"
	"fmt"
	"sort"
	"time"
)

// Milestone is how fast a set of reports reached one milestone (first
// response, triage, resolution): how many did, their median wall-clock time
// from arrival (rounded up to a bucket bound of migration 0027: the hour up
// to a day, the day up to 14 days, then coarser), and how many did so
// within their program's target (exact).
type Milestone struct {
	N      int64
	Median time.Duration
	Within int64
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
	for i, p := range programs {
		ids[i] = p.ID
	}
	if every, err := db.coversEveryProgram(ctx, programs); err != nil {
		return nil, err
	} else if every {
		ids = []any{int64(0)} // the rows of every program (migration 0027)
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
	// One histogram per month and milestone, programs folded by SQLite.
	type key struct {
		month int
		kind  string
	}
	hist := map[key]*histogram{}
	total := map[string]*histogram{}
	rows, err := tx.QueryContext(ctx, `SELECT kind, period, bucket, SUM(n), SUM(CASE WHEN within THEN n ELSE 0 END) FROM report_metrics
		WHERE program_id IN (`+placeholders(len(ids))+`) AND kind IN ('received', 'first_response', 'triage', 'resolution')
			AND period >= ? AND period <= ? AND n > 0
		GROUP BY kind, period, bucket`, append(ids, from.Format("2006-01"), to.Format("2006-01"))...)
	if err != nil {
		return nil, fmt.Errorf("db: read metric counts: %w", err)
	}
	defer rows.Close()
	months := map[string]int{}
	for i, mm := range m.Months {
		months[mm.Month.Format("2006-01")] = i
	}
	for rows.Next() {
		var bucket, n, within int64
		var kind, period string
		if err := rows.Scan(&kind, &period, &bucket, &n, &within); err != nil {
			return nil, fmt.Errorf("db: scan metric count: %w", err)
		}
		i, ok := months[period]
		if !ok {
			continue
		}
		if kind == "received" {
			m.Months[i].Received += n
			m.Received += n
			continue
		}
		for _, h := range []*histogram{getHist(hist, key{i, kind}), getHist(total, kind)} {
			h.add(bucket, n, within)
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
// arrival and severity), folded by SQLite into severity × age band.
func (db *DB) openByAge(ctx context.Context, tx queryer, ids []any, m *Metrics) error {
	today := db.Now().UTC().Truncate(24 * time.Hour)
	sevIndex := map[Severity]int{}
	for i, s := range MetricSeverities {
		sevIndex[s] = i
	}
	// The band of a day: how many band limits its age reaches.
	band, args := "0", []any{}
	for _, days := range AgeBands {
		band += " + (period <= ?)"
		args = append(args, today.AddDate(0, 0, -days).Format("2006-01-02"))
	}
	rows, err := tx.QueryContext(ctx, `SELECT severity, `+band+` AS band, SUM(n) FROM report_metrics
		WHERE program_id IN (`+placeholders(len(ids))+`) AND kind = 'open' AND n > 0 GROUP BY 1, 2`, append(args, ids...)...)
	if err != nil {
		return fmt.Errorf("db: read open counts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var sev Severity
		var band int
		var n int64
		if err := rows.Scan(&sev, &band, &n); err != nil {
			return fmt.Errorf("db: scan open count: %w", err)
		}
		si, ok := sevIndex[sev]
		if !ok || band < 0 || band > len(AgeBands) {
			continue
		}
		m.Open[si].ByAge[band] += n
		m.Open[si].Total += n
		m.OpenTotal += n
	}
	return rows.Err()
}

// histogram is a count per bucket (upper bound, seconds) and how many were
// within target.
type histogram struct {
	n, within int64
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

func (h *histogram) add(bucket, n, within int64) {
	h.n += n
	h.buckets[bucket] += n
	h.within += within
}

// milestone is the histogram's summary; the median is the bucket bound of
// the middle report (the mean of the two middle ones for an even count).
func (h *histogram) milestone() Milestone {
	if h == nil || h.n == 0 {
		return Milestone{}
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
	return Milestone{N: h.n, Median: time.Duration(med) * time.Second, Within: h.within}
}

// monthsBetween is how many months t is after from (both first days).
func monthsBetween(from, t time.Time) int {
	return (t.Year()-from.Year())*12 + int(t.Month()) - int(from.Month())
}

// coversEveryProgram says whether programs are all the portal's: the
// metrics then read the counters kept for every program at once, whose
// size does not grow with the number of programs.
func (db *DB) coversEveryProgram(ctx context.Context, programs []*Program) (bool, error) {
	all, err := db.Programs(ctx)
	if err != nil {
		return false, err
	}
	in := map[int64]bool{}
	for _, p := range programs {
		in[p.ID] = true
	}
	for _, p := range all {
		if !in[p.ID] {
			return false, nil
		}
	}
	return true, nil
}
