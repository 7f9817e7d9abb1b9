package views

import (
	"fmt"
	"strconv"
	"time"

	"github.com/disclose/disclose/db"
)

// BarChart is a bar chart drawn as server-side SVG (no script): every bar
// carries its value as a text label, and the chart has a title and a
// description for screen readers; the same numbers are in a table beside
// it. Geometry is computed here, the template only draws.
type BarChart struct {
	ID     string // unique on the page: ids of the title and description
	Title  string
	Desc   string
	Width  int
	Height int
	Bars   []Bar
	Axis   int // y of the baseline
}

// Bar is one bar with its label under it and its value above it.
type Bar struct {
	X, Y, W, H   int
	Label, Value string
	LabelX       int
	ShowLabel    bool
}

const (
	chartWidth  = 640
	chartHeight = 220
	chartTop    = 20
	chartBottom = 36
	chartLeft   = 8
)

// newBarChart lays out values (with their labels and value texts) over
// the chart's width; max is the value of a full-height bar (0: the largest).
func newBarChart(id, title, desc string, labels, texts []string, values []float64, top float64) BarChart {
	c := BarChart{ID: id, Title: title, Desc: desc, Width: chartWidth, Height: chartHeight, Axis: chartHeight - chartBottom}
	if top <= 0 {
		for _, v := range values {
			top = max(top, v)
		}
	}
	if top <= 0 {
		top = 1
	}
	n := len(values)
	if n == 0 {
		return c
	}
	slot := (chartWidth - 2*chartLeft) / n
	w := max(slot*3/4, 2)
	every := 1 + (n-1)/12 // at most about 12 labels under the bars
	plot := chartHeight - chartTop - chartBottom
	for i, v := range values {
		h := int(v / top * float64(plot))
		if v > 0 && h < 1 {
			h = 1
		}
		x := chartLeft + i*slot + (slot-w)/2
		c.Bars = append(c.Bars, Bar{X: x, Y: c.Axis - h, W: w, H: h, Label: labels[i], Value: texts[i],
			LabelX: x + w/2, ShowLabel: i%every == 0})
	}
	return c
}

// monthLabel is a month as a bar's label: "Mar 26".
func monthLabel(t time.Time) string { return t.Format("Jan 06") }

// MonthName is a month as a table's row header: "March 2026".
func MonthName(t time.Time) string { return t.Format("January 2006") }

// ReceivedChart draws the reports received per month.
func ReceivedChart(m *db.Metrics) BarChart {
	var labels, texts []string
	var values []float64
	for _, mm := range m.Months {
		labels = append(labels, monthLabel(mm.Month))
		texts = append(texts, strconv.FormatInt(mm.Received, 10))
		values = append(values, float64(mm.Received))
	}
	return newBarChart("chart-received", "Reports received per month",
		fmt.Sprintf("%d reports received from %s to %s; the table beside the chart lists each month.", m.Received, MonthName(m.From), MonthName(m.To)),
		labels, texts, values, 0)
}

// MilestoneRow is one milestone of the page (first response, triage,
// resolution) with its per-month values.
type MilestoneRow struct {
	Key, Name string
	Total     db.Milestone
	Months    []MonthMilestone
}

// MonthMilestone is a milestone in one month.
type MonthMilestone struct {
	Month time.Time
	db.Milestone
}

// Milestones lists the three milestones of m.
func Milestones(m *db.Metrics) []MilestoneRow {
	out := []MilestoneRow{{Key: "first-response", Name: "Time to first response", Total: m.FirstResponse},
		{Key: "triage", Name: "Time to triage", Total: m.Triage}, {Key: "resolution", Name: "Time to resolution", Total: m.Resolution}}
	for _, mm := range m.Months {
		out[0].Months = append(out[0].Months, MonthMilestone{mm.Month, mm.FirstResponse})
		out[1].Months = append(out[1].Months, MonthMilestone{mm.Month, mm.Triage})
		out[2].Months = append(out[2].Months, MonthMilestone{mm.Month, mm.Resolution})
	}
	return out
}

// WithinChart draws the share of a milestone reached within target, per
// month (a month without any is an empty slot labelled "none").
func WithinChart(r MilestoneRow) BarChart {
	var labels, texts []string
	var values []float64
	for _, mm := range r.Months {
		labels = append(labels, monthLabel(mm.Month))
		if mm.N == 0 {
			texts = append(texts, "none")
			values = append(values, 0)
			continue
		}
		texts = append(texts, Percent(mm.Milestone))
		values = append(values, mm.Share()*100)
	}
	return newBarChart("chart-"+r.Key, r.Name+": share within target, per month",
		fmt.Sprintf("%s of %d reports within their program's target over the period, median %s; the table beside the chart lists each month.",
			Percent(r.Total), r.Total.N, MilestoneMedian(r.Total)),
		labels, texts, values, 100)
}

// OpenChart draws the open reports by severity.
func OpenChart(m *db.Metrics) BarChart {
	var labels, texts []string
	var values []float64
	for _, o := range m.Open {
		labels = append(labels, SeverityName(o.Severity))
		texts = append(texts, strconv.FormatInt(o.Total, 10))
		values = append(values, float64(o.Total))
	}
	return newBarChart("chart-open", "Open reports by severity",
		fmt.Sprintf("%d open reports (new, triaged or waiting for the reporter); the table beside the chart splits them by age.", m.OpenTotal),
		labels, texts, values, 0)
}

// SeverityName is a severity as the metrics tables show it.
func SeverityName(s db.Severity) string {
	if s == "" {
		return "Unrated"
	}
	return string(s[0]-'a'+'A') + string(s[1:])
}

// AgeBandNames are the headers of the open reports' age columns.
func AgeBandNames() []string {
	out := []string{}
	prev := 0
	for _, b := range db.AgeBands {
		out = append(out, fmt.Sprintf("%d–%d days", prev, b-1))
		prev = b
	}
	return append(out, fmt.Sprintf("%d days or more", prev))
}

// Percent is the share within target, "87%", or "—" without reports.
func Percent(m db.Milestone) string {
	if m.N == 0 {
		return "—"
	}
	return fmt.Sprintf("%.0f%%", m.Share()*100)
}

// MilestoneMedian is a milestone's median as people read it.
func MilestoneMedian(m db.Milestone) string {
	if m.N == 0 {
		return "no data"
	}
	d := m.Median
	switch {
	case d < time.Hour:
		return fmt.Sprintf("%d minutes", int(d.Minutes()))
	case d < 72*time.Hour:
		return fmt.Sprintf("%.1f hours", d.Hours())
	}
	return fmt.Sprintf("%.1f days", d.Hours()/24)
}
