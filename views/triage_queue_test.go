package views

import (
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/disclose/disclose/db"
)

var (
	testAdmin   = &db.User{ID: 1, Email: "admin@example.org", Name: "Ann Admin", Role: db.RoleAdmin}
	testTriager = &db.User{ID: 2, Email: "tom@example.org", Name: "Tom", Role: db.RoleTriager, ProgramIDs: []int64{1}}
	testViewer  = &db.User{ID: 3, Email: "vic@example.org", Role: db.RoleViewer, ProgramIDs: []int64{1}}
)

func staffPage(u *db.User, title, section string) StaffPage {
	return StaffPage{Page: Page{Title: title, CSRF: "csrf-token"}, User: u, Section: section}
}

// testQueue is page 2 of a search, the way handlers.triageQueue fills it.
func testQueue() TriageQueue {
	now := t0.Add(10 * 24 * time.Hour)
	return TriageQueue{StaffPage: staffPage(testTriager, "Queue", "queue"),
		Params:   db.QueueParams{Search: "xss & csrf", Severity: "high", Sort: "oldest", Page: "2"},
		Programs: testPrograms(), Staff: []*db.User{testAdmin, testTriager}, Errors: db.FieldErrors{}, CanWrite: true, Now: now,
		Queue: &db.Queue{Page: 2, HasNext: true, Counts: map[db.State]int64{db.StateNew: 4, db.StateTriaged: 2, db.StateSpam: 1},
			Rows: []*db.QueueRow{
				{ID: 9, Ref: "SEC-9", Title: "Stored XSS <b>here</b>", ProgramName: "Security", State: db.StateNew, Source: db.SourceWeb,
					CreatedAt: now.Add(-3 * time.Hour),
					Next:      &db.Deadline{Kind: db.DeadlineFirstResponse, Due: now.Add(36 * time.Hour), Status: db.DeadlineDueSoon}},
				{ID: 4, Ref: "ACME-4", Title: "CSRF on logout", ProgramName: "Acme web shop", State: db.StateNeedsInfo,
					Severity: db.SeverityHigh, Assignee: "Tom", CreatedAt: now.Add(-20 * 24 * time.Hour),
					Next: &db.Deadline{Kind: db.DeadlineResolution, Due: now.Add(-5 * 24 * time.Hour), Status: db.DeadlineOverdue, Paused: true}},
				{ID: 2, Ref: "SEC-2", Title: "Open redirect", ProgramName: "Security", State: db.StateTriaged, Severity: db.SeverityLow,
					CreatedAt: now.Add(-30 * time.Minute)},
			}}}
}

func TestTriageQueue(t *testing.T) {
	t.Run("OneRowPerReport", func(t *testing.T) {
		p := render(t, TriageQueueView(testQueue()))
		table := p.testID("queue")
		if got := text(table.Find("caption")); got != "Reports, 3 on this page" {
			t.Errorf("caption %q", got)
		}
		table.Find("thead th").Each(func(_ int, th *goquery.Selection) {
			if th.AttrOr("scope", "") != "col" {
				t.Errorf("header %q has no scope=col", text(th))
			}
		})
		want := []map[string]string{
			{"Reference": "SEC-9", "Title": "Stored XSS <b>here</b>", "Program": "Security", "State": "New", "Severity": "unrated",
				"Assignee": "unassigned", "Age": "3 h", "Next deadline": "First response: in 36 h (due soon)"},
			{"Reference": "ACME-4", "Title": "CSRF on logout", "Program": "Acme web shop", "State": "Needs information", "Severity": "high",
				"Assignee": "Tom", "Age": "20 d", "Next deadline": "Resolution: 5 d late (overdue) (paused)"},
			{"Reference": "SEC-2", "Title": "Open redirect", "Program": "Security", "State": "Triaged", "Severity": "low",
				"Assignee": "", "Age": "30 m", "Next deadline": "none"},
		}
		want[2]["Assignee"] = "unassigned"
		got := tableRows(table)
		if len(got) != len(want) {
			t.Fatalf("%d rows, want %d", len(got), len(want))
		}
		for i := range want {
			for col, w := range want[i] {
				if got[i][col] != w {
					t.Errorf("row %d, %s: %q, want %q", i+1, col, got[i][col], w)
				}
			}
		}
		if got := p.named("a", "ACME-4").AttrOr("href", ""); got != "/triage/reports/ACME-4" {
			t.Errorf("report link %q", got)
		}
		if got := p.doc.Find(`tr[data-ref="ACME-4"] [data-status]`).AttrOr("data-status", ""); got != "overdue" {
			t.Errorf("deadline status %q", got)
		}
	})

	t.Run("FiltersLabelled", func(t *testing.T) {
		p := render(t, TriageQueueView(testQueue()))
		form := p.doc.Find(`form[role=search]`)
		if got := p.name(form); got != "Filter the queue" {
			t.Errorf("filter form named %q", got)
		}
		search := p.control("Search")
		if search.AttrOr("type", "") != "search" || search.AttrOr("name", "") != "q" || value(search) != "xss & csrf" {
			t.Errorf("search box: type %q name %q value %q", search.AttrOr("type", ""), search.AttrOr("name", ""), value(search))
		}
		for label, want := range map[string]string{"State": "open", "Program": "", "Severity": "high", "Assignee": "",
			"Source": "", "Deadline": "", "Order": "oldest"} {
			c := p.control(label)
			if goquery.NodeName(c) != "select" || value(c) != want {
				t.Errorf("%s: %s showing %q, want a select showing %q", label, goquery.NodeName(c), value(c), want)
			}
			if c.Closest("form").Get(0) != form.Get(0) {
				t.Errorf("%s is outside the filter form", label)
			}
		}
		if got := options(p.control("Order")); got != "newest|oldest|severity|deadline|relevance" {
			t.Errorf("orders %q", got)
		}
		if got := options(p.control("Assignee")); got != "|me|none|1|2" {
			t.Errorf("assignees %q", got)
		}
		p.named("button", "Show")
		if got := p.named("a", "Reset").AttrOr("href", ""); got != "/triage" {
			t.Errorf("reset %q", got)
		}
	})

	t.Run("StateTabsKeepTheFilter", func(t *testing.T) {
		p := render(t, TriageQueueView(testQueue()))
		tabs := p.testID("state-tabs")
		if got := p.name(tabs); got != "States" {
			t.Errorf("tabs named %q", got)
		}
		cur := tabs.Find(`[aria-current="page"]`)
		if text(cur) != "Open (6)" {
			t.Errorf("current tab %q, want Open (6)", text(cur))
		}
		closed := p.named("a", "Closed (1)")
		if got := closed.AttrOr("href", ""); got != "/triage?q=xss+%26+csrf&severity=high&sort=oldest&state=closed" {
			t.Errorf("closed tab %q: it must keep the filter and drop the page", got)
		}
		p.named("a", "All (7)")
		p.named("a", "Needs information (0)")
	})

	t.Run("PaginationLinks", func(t *testing.T) {
		p := render(t, TriageQueueView(testQueue()))
		if got := p.name(p.doc.Find("nav.pager")); got != "Pages" {
			t.Errorf("pager named %q", got)
		}
		if got := p.named("a", "Previous page").AttrOr("href", ""); got != "/triage?page=1&q=xss+%26+csrf&severity=high&sort=oldest" {
			t.Errorf("previous %q", got)
		}
		if got := p.named("a", "Next page").AttrOr("href", ""); got != "/triage?page=3&q=xss+%26+csrf&severity=high&sort=oldest" {
			t.Errorf("next %q", got)
		}
		m := testQueue()
		m.Queue.Page, m.Queue.HasNext = 1, false
		p = render(t, TriageQueueView(m))
		if p.has("prev") || p.has("next") {
			t.Errorf("a single page has pager links")
		}
	})

	t.Run("ExportsForWritersOnly", func(t *testing.T) {
		p := render(t, TriageQueueView(testQueue()))
		if got := p.testID("export-csv").AttrOr("href", ""); got != "/triage/export.csv?q=xss+%26+csrf&severity=high&sort=oldest" {
			t.Errorf("csv export %q", got)
		}
		m := testQueue()
		m.StaffPage.User, m.CanWrite = testViewer, false
		p = render(t, TriageQueueView(m))
		if p.has("export-csv") || p.has("export-json") {
			t.Errorf("a viewer is offered exports")
		}
	})

	t.Run("Empty", func(t *testing.T) {
		m := testQueue()
		m.Queue.Rows = nil
		p := render(t, TriageQueueView(m))
		if !strings.Contains(text(p.testID("empty")), "No report matches") || p.has("queue") {
			t.Errorf("an empty queue shows a table")
		}
	})

	t.Run("FilterErrorsTiedToFields", func(t *testing.T) {
		// Every key db.ParseQueueParams refuses, and the handler's own
		// "program" for a program outside the user's.
		m := testQueue()
		m.Errors = db.FieldErrors{"state": "Choose a state from the list.", "severity": "Choose a severity from the list.",
			"assignee": "Choose an assignee from the list.", "source": "Choose web or email.", "deadline": "Choose due soon or overdue.",
			"sort": "Choose an order from the list.", "program": "Choose a program from the list.", "page": "Pages are numbered from 1."}
		p := render(t, TriageQueueView(m))
		for field, label := range map[string]string{"state": "State", "severity": "Severity", "assignee": "Assignee", "source": "Source",
			"deadline": "Deadline", "sort": "Order", "program": "Program"} {
			p.fieldError(label, m.Errors[field], true)
		}
		if !strings.Contains(text(p.testID("error-summary")), m.Errors["page"]) {
			t.Errorf("the page error is not in the summary")
		}
		p.valid("Search")
	})

	t.Run("ProgramErrorWithOneProgram", func(t *testing.T) {
		// A triager of one program who asks for another's sees the
		// refusal on a Program field, not a link to nowhere.
		m := testQueue()
		m.Programs = testPrograms()[:1]
		m.Errors = db.FieldErrors{"program": "Choose a program from the list."}
		p := render(t, TriageQueueView(m))
		p.fieldError("Program", m.Errors["program"], true)
		m.Errors = db.FieldErrors{}
		p = render(t, TriageQueueView(m))
		if n := p.countNamed("select", "Program"); n != 0 {
			t.Errorf("a program filter with one program")
		}
	})
}

func TestTriageQueueModel(t *testing.T) {
	m := TriageQueue{Params: db.QueueParams{State: "closed", Search: "a b", Page: "4"}}
	for _, c := range []struct{ name, got, want string }{
		{"With sets a field and drops the page", m.With("severity", "low"), "/triage?q=a+b&severity=low&state=closed"},
		{"With empty removes the field", m.With("state", ""), "/triage?q=a+b"},
		{"PageURL keeps the filter", m.PageURL(5), "/triage?page=5&q=a+b&state=closed"},
		{"ExportURL drops the page", m.ExportURL("json"), "/triage/export.json?q=a+b&state=closed"},
	} {
		if c.got != c.want {
			t.Errorf("%s: %q, want %q", c.name, c.got, c.want)
		}
	}
	for _, c := range []struct {
		state, ask string
		want       bool
	}{{"", "open", true}, {"", "closed", false}, {"closed", "closed", true}, {"closed", "open", false}, {"spam", "spam", true}} {
		m := TriageQueue{Params: db.QueueParams{State: c.state}}
		if got := m.StateIs(c.ask); got != c.want {
			t.Errorf("state %q: StateIs(%q) = %v", c.state, c.ask, got)
		}
	}
}
