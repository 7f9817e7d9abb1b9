package db_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin"
)

// smallTables may be scanned: their size does not grow with reports,
// messages, mail, outbox or audit rows. Every other table (and a full-text
// table read without MATCH) must be searched through an index.
var smallTables = map[string]string{
	"programs":            "a handful per portal, made by admins",
	"program_members":     "staff × programs",
	"users":               "staff accounts",
	"settings":            "a fixed set of keys",
	"migrations":          "one row per migration file",
	"report_state_counts": "programs × states, kept by triggers for the queue's tabs",
	"row_counts":          "tables × statuses or kinds, kept by triggers",
	"status_sessions":     "reporters' status-page sessions, which expire within hours and are deleted then",
	"reports_fts_pending": "the reports of the committing batch; emptied at every commit",
	"mail_mailboxes":      "one row per polled mailbox",
	"retention_rules":     "one row per program",
	"webhooks":            "made by admins, a few per program",
	"notification_prefs":  "one row per user",
	"organisations":       "made by the site admin, a few hundred at most",
	"org_hosts":           "a few host names per organisation",
	"org_members":         "staff × organisations",
	"org_invites":         "pending invitations: at most one per organisation and account, gone once answered",
	"mailboxes":           "configured intake mailboxes, a few per organisation",
	"incidents":           "breaches staff open by hand: a few a year per organisation",
	"incident_presets":    "the shipped notification regimes and organisations' own stages",
	"incident_settings":   "one row per organisation",
	"program_access":      "a view of program_members and org_members over programs: staff × programs",
	"json_each":           "the list of ids the statement was given",
	"sso_providers":       "identity providers made by the site admin, a few",
	"sessions":            "staff sessions, deleted when they expire (every sign-in purges them): staff × devices",
	"report_metric_rows":  "a view (migration 0027) read for one report by id: its own lines show what it reads",
	"report_metric_keys":  "a view (migration 0027) read for one report by id: its own lines show what it reads",
	"report_breach_rows":  "a view (migration 0027) read for one report or program: its own lines show what it reads",
	"report_breach_units": "a view (migration 0027) read for one report or program: its own lines show what it reads",
	"audit_backfill":      "one row, until the upgrade's filing of old audit rows is done (migration 0036)",
	"sqlite_schema":       "the schema",
	"sqlite_master":       "the schema",
	"sqlite_stat1":        "the planner's statistics",
}

// allowedScans are statements whose scan of a big table reads a page and
// stops, with why; matched on the statement text.
var allowedScans = []struct {
	re     *regexp.Regexp
	reason string
}{
	{regexp.MustCompile(`\(SELECT r\.id FROM reports r NOT INDEXED WHERE (1|\+r\.program_id IN \([?, ]+\)) ORDER BY r\.id (ASC|DESC) LIMIT \? OFFSET \?\) ORDER BY r\.id (ASC|DESC)$`),
		"the queue of every report (of the programs the user sees), newest or oldest first: one page of the primary key"},
	{regexp.MustCompile(`\(SELECT r\.id FROM reports r NOT INDEXED WHERE EXISTS \(SELECT 1 FROM reports_fts WHERE reports_fts MATCH \? AND rowid = r\.id\)( AND \(r\.state IN \([^)]*\)\) = [01])? AND \+r\.program_id IN \([?, ]+\) ORDER BY r\.id (ASC|DESC) LIMIT \? OFFSET \?\) ORDER BY r\.id (ASC|DESC)$`),
		"a search within a few programs led by their reports, newest or oldest first: chosen (queue_scope.go) only when the estimated walk is shorter than the search index's"},
	{regexp.MustCompile(`\(SELECT r\.id FROM reports r INDEXED BY reports_severity_rank WHERE (1|\+r\.program_id IN \([?, ]+\)) ORDER BY \(CASE r\.severity [^)]*\) DESC, r\.id DESC LIMIT \? OFFSET \?\) ORDER BY `),
		"the queue of every report by severity: one page of the severity index"},
	{regexp.MustCompile(`^SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1$`), "the last row of the audit chain"},
	{regexp.MustCompile(`FROM audit ORDER BY id DESC LIMIT \?$`), "the newest page of the audit log, unfiltered"},
	{regexp.MustCompile(`FROM audit WHERE (actor|target) LIKE .* ORDER BY id DESC LIMIT \?$`),
		"a substring search of the audit log (admins only) reads it newest first until a page matches; the action and time filters narrow it"},
	{regexp.MustCompile(`FROM outbox o LEFT JOIN reports r ON r\.id = o\.report_id LEFT JOIN programs p ON p\.id = r\.program_id LEFT JOIN reporters rp ON rp\.id = r\.reporter_id ORDER BY o\.id DESC LIMIT \?$`),
		"the newest page of the outbox, unfiltered"},
	{regexp.MustCompile(`FROM (passkey|sso)_sites ORDER BY signins DESC, since LIMIT 1$`),
		"the site with the most passkey sign-ins (or sign-ins with a provider) under way (passkey_limit.go): the first entry of passkey_sites_busiest (sso_sites_busiest)"},
	{regexp.MustCompile(`^SELECT COUNT\(\*\) FROM sso_logins WHERE 1$`),
		"the sign-ins with a provider under way, against the portal's bound (passkey_limit.go): sso_logins holds at most MaxSSOLogins rows, counted on its smallest index (as passkey_challenges' on user_id)"},
	{regexp.MustCompile(`^DELETE FROM report_breach_counts WHERE program_id = `),
		"a program's targets changed (an admin's action): its breach counters, a few hundred rows per program, are counted again"},
}

// boundedIndexes are partial indexes a plan may scan: they hold a set that
// does not grow with the number of reports.
var boundedIndexes = map[string]string{
	"reports_due":        "reports with a running clock: the open backlog",
	"reports_legal_hold": "reports an admin put on legal hold, one by one",
}

// TestQueryPlans runs the portal's write paths and pages on a small
// database, recording every statement the connections prepare (the traced
// drivers of plan_trace_test.go), and the bodies of the schema's triggers;
// it then asks SQLite for each one's plan as it would be on a database of
// 1,000,000 demo reports (their full ANALYZE, testdata/plan_stats.sql; the
// sampled statistics PRAGMA optimize leaves, plan_stats_sampled.sql; the
// same scaled to 100,000) and on one that never ran ANALYZE, and fails on a scan of a table that
// grows with the reports. A new statement that scans fails here.
//
// DISCLOSE_PLANS=1 logs every statement's plan (with -v).
//
// Regenerate testdata/plan_stats_sampled.sql from a demo database as below,
// and plan_stats.sql the same after a full `sqlite3 /tmp/d/disclose.db
// ANALYZE` (the demo's ANALYZE runs under the analysis limit):
//
//	disclose demo --data /tmp/d --reports 1000000
//
// traceDistinct records each distinct explainable statement the database
// runs, in the order first run, until restore is called.
func traceDistinct() (order *[]string, restore func()) {
	seen := map[string]bool{}
	order = new([]string)
	restore = db.TraceStatementsForTest(func(q string) {
		q = normalizeSQL(q)
		if !seen[q] && explainable(q) {
			seen[q] = true
			*order = append(*order, q)
		}
	})
	return order, restore
}

// sqlite3 /tmp/d/disclose.db "SELECT 'INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (' || quote(tbl) || ', ' || quote(idx) || ', ' || quote(stat) || ');' FROM sqlite_stat1 ORDER BY tbl, idx"
func TestQueryPlans(t *testing.T) {
	order, restore := traceDistinct()
	path := planWorkload(t)
	restore()

	stats, err := os.ReadFile("testdata/plan_stats.sql")
	if err != nil {
		t.Fatal(err)
	}
	sampled, err := os.ReadFile("testdata/plan_stats_sampled.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []struct {
		name  string
		stats string
	}{{"1M-statistics", string(stats)}, {"1M-sampled-statistics", string(sampled)}, {"100k-statistics", scaleStats(string(stats), 10)}, {"no-statistics", ""}} {
		t.Run(mode.name, func(t *testing.T) {
			conn := explainConn(t, path, mode.stats)
			stmts := append(append([]string(nil), *order...), triggerStatements(t, conn)...)
			failed := 0
			for _, q := range stmts {
				plan, err := explain(conn, q)
				if err != nil {
					t.Errorf("explain %s: %v", q, err)
					continue
				}
				if os.Getenv("DISCLOSE_PLANS") != "" {
					t.Logf("%s\n  %s", q, strings.Join(plan, "\n  "))
				}
				if bad := bigScans(q, plan); len(bad) > 0 {
					failed++
					t.Errorf("statement scans %s:\n  %s\nplan:\n  %s", strings.Join(bad, ", "), q, strings.Join(plan, "\n  "))
				}
			}
			t.Logf("%d statements explained, %d scan a growing table", len(stmts), failed)
		})
	}
}

// planWorkload runs the write paths and the pages, returning the database
// file (closed).
func planWorkload(t *testing.T) string {
	ctx := context.Background()
	f := newTriageFixture(t)
	d := f.DB
	admin, err := d.CreateUser(ctx, &db.NewUser{Email: "ada@example.org", Name: "Ada", Role: db.RoleAdmin,
		Password: "correct horse battery staple"}, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	lim := db.Limits{MaxFiles: 5, MaxFileBytes: 1 << 20, MaxTextRunes: 1 << 16}
	file := []db.NewAttachment{{Filename: "poc.txt", ContentType: "text/plain", Data: []byte("proof")}}

	// Submissions, replies, notes, state changes, assignment, edits.
	var receipts []*db.Receipt
	for i := range 6 {
		in := validReport(f.P1.ID)
		in.Title = fmt.Sprintf("Overflow in parser %d", i)
		rc, err := d.CreateReport(ctx, in)
		must(err)
		receipts = append(receipts, rc)
	}
	r := f.fresh(t, receipts[0].ReportID)
	must(d.Reply(ctx, r.ID, r.Version, f.Actor, "Thanks, looking.", file, lim))
	r = f.fresh(t, r.ID)
	must(d.AddNote(ctx, r.ID, r.Version, f.Actor, "Reproduced.", file, lim))
	r = f.fresh(t, r.ID)
	must(d.Assign(ctx, r.ID, r.Version, f.Actor, f.Triager.ID))
	r = f.fresh(t, r.ID)
	must(d.EditFields(ctx, r.ID, r.Version, f.Actor, db.FieldEdit{Asset: "api.example.org", CVSSVector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}))
	r = f.mustState(t, f.fresh(t, r.ID), db.StateTriaged, "")
	r = f.mustState(t, r, db.StateNeedsInfo, "Which version?")
	must(d.AddReporterMessage(ctx, r.ID, "Version 2.", file, db.SourceWeb, lim))
	r = f.mustState(t, f.fresh(t, r.ID), db.StateResolved, "Fixed.")
	dup := f.fresh(t, receipts[1].ReportID)
	must(d.ChangeState(ctx, dup.ID, dup.Version, f.Actor, db.StateChange{To: db.StateDuplicate, Reason: "Known.", DuplicateOf: r.Ref()}))
	spam := f.fresh(t, receipts[2].ReportID)
	f.mustState(t, spam, db.StateSpam, "Spam.")

	// Status page of a reporter.
	tok, err := d.StartStatusSession(ctx, receipts[3].Code, "")
	must(err)
	_, err = d.ReportByStatusSession(ctx, tok)
	must(err)

	// Mail: a new report, a follow-up on one, a duplicate delivery.
	_, err = mailin.IngestMail(ctx, d, inboundMail(1, "<m1@x.test>", "eve@x.test", "Bug in login", "The login leaks."), mailin.IngestOptions{})
	must(err)
	_, err = mailin.IngestMail(ctx, d, inboundMail(2, "<m2@x.test>", "alice@example.org", "Re: ["+r.Ref()+"] more", "Another detail."), mailin.IngestOptions{})
	must(err)
	_, err = mailin.IngestMail(ctx, d, inboundMail(3, "<m1@x.test>", "eve@x.test", "Bug in login", "The login leaks."), mailin.IngestOptions{})
	must(err)

	// The events of everything above, composed into mail as serve's
	// worker does; a password reset request.
	ev := &mailin.Events{Store: d, Notifier: &mailin.Notifier{BaseURL: &url.URL{Scheme: "https", Host: "portal.test"}, Domain: "portal.test"},
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	_, err = ev.Drain(ctx)
	must(err)
	must(requestReset(ctx, d, "alice@example.org", "203.0.113.9"))
	orgInvitePlanWork(t, d)
	ssoPlanWorkload(t, d)     // sso_test.go
	passkeyPlanWorkload(t, d) // passkey_test.go

	// The outbox: claim, send, fail, retry.
	for range 3 {
		m, err := d.ClaimMail(ctx, time.Minute)
		if db.ErrorCode(err) == db.ENOTFOUND || m == nil {
			break
		}
		must(err)
		must(d.MailSent(ctx, m.ID))
	}
	_, _ = d.SendReminders(ctx, time.Hour, 10)

	// Pages: the queue in every filter and sort, for an admin and a triager.
	for _, me := range []struct {
		id      int64
		visible []int64
	}{{admin.ID, nil}, {f.Triager.ID, []int64{f.P1.ID}}, {f.Triager.ID, []int64{f.P1.ID, f.P2.ID}}} {
		// Two programs: a parent's views, each program's range merged (queue_merge.go).
		for _, p := range queueVariants(f.P1.Slug, me.id) {
			qf, err := d.ParseQueueParams(ctx, p, me.id)
			if err != nil {
				t.Fatalf("%+v: %v", p, err)
			}
			qf.Visible = me.visible
			if _, err := d.Queue(ctx, qf); err != nil {
				t.Fatalf("%+v: %v", p, err)
			}
		}
		progs, err := d.Programs(ctx)
		must(err)
		if me.visible != nil {
			progs = progs[:1]
		}
		_, err = d.Metrics(ctx, progs, f.now.AddDate(0, -12, 0), f.now)
		must(err)
	}
	// Two programs' views in id order merged too (queue_merge.go merges
	// them only where the programs are a small part of the reports).
	oldRatio := db.SetMergeRatioForTest(1)
	for _, p := range queueVariants(f.P1.Slug, f.Triager.ID) {
		qf, err := d.ParseQueueParams(ctx, p, f.Triager.ID)
		if err != nil {
			t.Fatalf("%+v: %v", p, err)
		}
		qf.Visible = []int64{f.P1.ID, f.P2.ID}
		if _, err := d.Queue(ctx, qf); err != nil {
			t.Fatalf("%+v: %v", p, err)
		}
	}
	db.SetMergeRatioForTest(oldRatio)
	// A search within a scope, the scope in the full-text query and not
	// (queue_scope.go: more than scopeTermsMax programs), in every order.
	for _, lead := range []string{"", "index"} {
		db.SetSearchLeadForTest(lead)
		for _, visible := range [][]int64{{f.P1.ID}, {f.P1.ID, f.P2.ID}} {
			for _, sort := range []db.QueueSort{db.SortNewest, db.SortOldest, db.SortRelevance, db.SortSeverity, db.SortDeadline} {
				_, err := d.Queue(ctx, db.QueueFilter{Search: "overflow", Visible: visible, Sort: sort})
				must(err)
				_, err = d.Queue(ctx, db.QueueFilter{Search: "overflow", Visible: visible, Sort: sort, States: db.StateGroups["open"]})
				must(err)
			}
		}
	}
	db.SetSearchLeadForTest("")
	// Relevance of a common word: ranked title first (queue_rank.go).
	old := db.SetCommonWordForTest(1)
	for _, visible := range [][]int64{nil, {f.P1.ID}} {
		_, err := d.Queue(ctx, db.QueueFilter{Search: "overflow", Visible: visible, Sort: db.SortRelevance})
		must(err)
	}
	db.SetCommonWordForTest(old)
	// The report page and its parts.
	for _, id := range []int64{r.ID, dup.ID} {
		rep, err := d.ReportByID(ctx, id)
		must(err)
		_, err = d.ReportByRef(ctx, rep.Ref())
		must(err)
		_, err = d.Timeline(ctx, id, false)
		must(err)
		_, err = d.Timeline(ctx, id, true)
		must(err)
		_, err = d.Details(ctx, id)
		must(err)
		_, err = d.Deadlines(ctx, id)
		must(err)
		_, err = d.SimilarReports(ctx, rep, 5)
		must(err)
		_, err = d.ReportMails(ctx, id)
		must(err)
		_, err = d.RawMailEntries(ctx, id)
		must(err)
		_, err = d.Assignees(ctx, rep.ProgramID)
		must(err)
	}
	_, err = d.SearchReports(ctx, "overflow", 20)
	must(err)
	// Admin lists.
	_, err = d.ListAudit(ctx, db.AuditFilter{Limit: 50})
	must(err)
	_, err = d.ListAudit(ctx, db.AuditFilter{Action: "report.", Limit: 50})
	must(err)
	_, err = d.ListAudit(ctx, db.AuditFilter{Actor: "tina", Target: r.Ref(), From: f.now.AddDate(0, 0, -1), To: f.now.AddDate(0, 0, 1), Before: 1 << 40, Limit: 50})
	must(err)
	_, err = d.ListAudit(ctx, db.AuditFilter{Org: db.DefaultOrgID, Limit: 50})
	must(err)
	_, err = d.ListAudit(ctx, db.AuditFilter{Org: db.DefaultOrgID, Actor: "tina", Action: "report.", Before: 1 << 40, Limit: 50})
	must(err)
	_, err = d.CountAudit(ctx)
	must(err)
	_, err = d.Users(ctx)
	must(err)
	_, err = d.Programs(ctx)
	must(err)
	_, err = d.Stats(ctx)
	must(err)
	for _, st := range []string{"", "queued", "sent", "failed"} {
		_, err = d.Mails(ctx, st, 50)
		must(err)
	}
	_, err = d.MailCounts(ctx)
	must(err)
	orgOutboxPlanWork(t, d) // outbox_org_test.go
	_, err = d.KeptMail(ctx, 50)
	must(err)
	_, err = d.IntakeStatus(ctx)
	must(err)
	_, err = d.LegalHolds(ctx)
	must(err)
	_, err = d.RetentionRules(ctx)
	must(err)
	_, err = d.Webhooks(ctx, f.P1.ID)
	must(err)
	webhookClocksPlanWork(t, d, f.P1.ID) // incident_clock_hooks_test.go
	incidentPlanWorkload(t, d, []int64{receipts[4].ReportID, receipts[5].ReportID}, f.Actor)

	planAPITokens(t, d, f.Triager, admin)
	// Advisories: drafted, reviewed, scheduled, published, credited, revised.
	planAdvisories(t, d, f, r, admin)

	// Retention: spam goes after a day.
	must(d.SetRetentionRule(ctx, &db.RetentionRule{ProgramID: f.P1.ID, SpamDeleteDays: 1, AnonymiseDays: 30}, db.ActorSystem))
	f.advance(40 * 24 * time.Hour)
	_, err = d.RetentionDue(ctx)
	must(err)
	_, err = d.Purge(ctx, false, nil)
	must(err)

	// Sealing: a sealed report, its search index built in the background.
	d.SetSealer(newTeamKey(t), true)
	in := validReport(f.P1.ID)
	in.Attachments = nil
	_, err = d.CreateReport(ctx, in)
	must(err)
	d.StartSealedIndex()
	_, err = d.WaitSealedIndex(ctx)
	must(err)
	_, err = d.Queue(ctx, db.QueueFilter{Search: "overflow"})
	must(err)
	_, err = d.Queue(ctx, db.QueueFilter{Search: "overflow", Sort: db.SortSeverity})
	must(err)
	must(d.Close())
	return d.Path
}

// queueVariants are the queue's views: each filter alone and with every
// state word, in every sort, with and without a search, and a later page.
func queueVariants(program string, me int64) []db.QueueParams {
	filters := []db.QueueParams{{}, {Program: program}, {Severity: "critical"}, {Severity: "none"}, {Severity: "unrated"},
		{Assignee: "me"}, {Assignee: "none"}, {Assignee: fmt.Sprint(me)}, {Source: "web"}, {Source: "email"},
		{Deadline: "due_soon"}, {Deadline: "overdue"}, {Page: "3"},
		{Program: program, Severity: "high", Assignee: "me", Source: "web", Deadline: "overdue"}}
	var out []db.QueueParams
	for _, st := range []string{"", "open", "closed", "all", "new", "needs_info"} {
		for _, s := range []string{"", "newest", "oldest", "severity", "deadline", "relevance"} {
			for _, q := range []string{"", "overflow", "the parser"} {
				for _, p := range filters {
					p.State, p.Sort, p.Search = st, s, q
					out = append(out, p)
				}
			}
		}
	}
	return out
}

var spaces = regexp.MustCompile(`\s+`)

func normalizeSQL(q string) string { return strings.TrimSpace(spaces.ReplaceAllString(q, " ")) }

// explainable: statements that read or write rows (not schema, pragmas or
// transaction control).
func explainable(q string) bool {
	w := strings.ToUpper(strings.SplitN(q, " ", 2)[0])
	if strings.Contains(q, "RAISE(") {
		return false // only valid inside a trigger
	}
	switch w {
	case "SELECT", "INSERT", "UPDATE", "DELETE", "WITH", "REPLACE":
		return true
	}
	return false
}

// explainConn opens the database on a connection of its own with the given
// statistics (none when stats is empty); SQLite reads them when it loads
// the schema.
func explainConn(t *testing.T, path, stats string) *sql.Conn {
	t.Helper()
	ctx := context.Background()
	setup, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`ANALYZE sqlite_schema`, `DELETE FROM sqlite_stat1`, stats} {
		if q == "" {
			continue
		}
		if _, err := setup.ExecContext(ctx, q); err != nil {
			t.Fatalf("%.60s: %v", q, err)
		}
	}
	setup.Close()
	pool, err := sql.Open("sqlite3", "file:"+path+"?_query_only=1")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pool.Close() })
	conn, err := pool.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// scaleStats divides the row counts of sqlite_stat1 inserts by div: the
// same database at a smaller size. Plans change with size where one table
// has statistics and another none (SQLite guesses a million rows for it):
// the commit statement once scanned every report at 100,000 reports, not at
// a million.
func scaleStats(stats string, div int) string {
	stat := regexp.MustCompile(`'(\d+(?: \d+)*)'\);`)
	return stat.ReplaceAllStringFunc(stats, func(m string) string {
		var out []string
		for _, f := range strings.Fields(strings.TrimSuffix(strings.Trim(m, "');"), "'")) {
			var n int
			fmt.Sscan(f, &n)
			out = append(out, fmt.Sprint(max(n/div, min(n, 1))))
		}
		return "'" + strings.Join(out, " ") + "');"
	})
}

// triggerStatements are the statements in the bodies of the schema's
// triggers, with new.x and old.x as parameters: EXPLAIN QUERY PLAN of the
// statement that fires a trigger does not show the trigger's plans.
func triggerStatements(t *testing.T, conn *sql.Conn) []string {
	rows, err := conn.QueryContext(context.Background(), `SELECT sql FROM sqlite_schema WHERE type = 'trigger' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	body := regexp.MustCompile(`(?is)\bBEGIN\b(.*)\bEND\s*$`)
	ref := regexp.MustCompile(`(?i)\b(new|old)\.\w+`)
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		m := body.FindStringSubmatch(s)
		if m == nil {
			t.Fatalf("trigger without a body: %s", s)
		}
		for _, st := range strings.Split(m[1], ";") {
			st = normalizeSQL(ref.ReplaceAllString(st, "?"))
			if explainable(st) {
				out = append(out, st)
			}
		}
	}
	return out
}

// explain returns the plan's lines, each indented by its depth.
func explain(conn *sql.Conn, q string) ([]string, error) {
	var plan []string
	err := conn.Raw(func(dc any) error {
		c := dc.(*sqlite3.SQLiteConn)
		st, err := c.Prepare(`EXPLAIN QUERY PLAN ` + q)
		if err != nil {
			return err
		}
		defer st.Close()
		//lint:ignore SA1019 the driver's own statement, no context needed
		rows, err := st.Query(make([]driver.Value, st.NumInput()))
		if err != nil {
			return err
		}
		defer rows.Close()
		dest := make([]driver.Value, 4)
		depth := map[int64]int{}
		for {
			if err := rows.Next(dest); err == io.EOF {
				break
			} else if err != nil {
				return err
			}
			id, parent := dest[0].(int64), dest[1].(int64)
			depth[id] = depth[parent] + 1
			plan = append(plan, strings.Repeat("  ", depth[id]-1)+fmt.Sprint(dest[3]))
		}
		return nil
	})
	return plan, err
}

var (
	scanLine  = regexp.MustCompile(`^SCAN (\S+)(?: VIRTUAL TABLE INDEX \d+:(\S*))?`)
	tableRefs = regexp.MustCompile(`(?i)\b(?:FROM|JOIN|UPDATE|INTO)\s+([a-z_][a-z0-9_]*)(?:\s+(?:AS\s+)?([a-z_][a-z0-9_]*))?`)
)

var sqlWords = map[string]bool{"WHERE": true, "JOIN": true, "ON": true, "LEFT": true, "CROSS": true, "INNER": true,
	"INDEXED": true, "NOT": true, "ORDER": true, "GROUP": true, "LIMIT": true, "USING": true, "SET": true,
	"NATURAL": true, "VALUES": true, "SELECT": true, "UNION": true, "RETURNING": true, "DEFAULT": true, "OUTER": true,
	"HAVING": true, "WINDOW": true, "EXCEPT": true, "INTERSECT": true, "DO": true}

// bigScans returns the tables the plan scans that are not small, resolving
// the aliases of the statement.
func bigScans(q string, plan []string) []string {
	names := map[string][]string{}
	for _, m := range tableRefs.FindAllStringSubmatch(q, -1) {
		table := strings.ToLower(m[1])
		names[table] = append(names[table], table)
		if a := m[2]; a != "" && !sqlWords[strings.ToUpper(a)] {
			names[strings.ToLower(a)] = append(names[strings.ToLower(a)], table)
		}
	}
	for _, a := range allowedScans {
		if a.re.MatchString(q) {
			return nil
		}
	}
	var bad []string
	for _, line := range plan {
		m := scanLine.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			continue
		}
		name := m[1]
		if name == "CONSTANT" || strings.HasPrefix(name, "(") {
			continue
		}
		tables := names[strings.ToLower(name)]
		if len(tables) == 0 {
			continue // a common table expression or subquery: its own lines show what it reads
		}
		for _, tb := range tables {
			if _, ok := smallTables[tb]; ok {
				continue
			}
			if m[2] != "" && strings.Contains(m[2], "M") {
				continue // a full-text MATCH
			}
			if i := strings.Index(line, " INDEX "); i > 0 && boundedIndexes[strings.Fields(line[i+7:])[0]] != "" {
				continue
			}
			bad = append(bad, tb+" ("+strings.TrimSpace(line)+")")
		}
	}
	sort.Strings(bad)
	return bad
}
