package db_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/db/demo"
	"github.com/disclose/disclose/mailin"
)

// counterTables are the counters of migration 0027 and the views that
// define them: a recount from the reports table must equal the counters.
var counterTables = []struct{ table, view, cols string }{
	{"report_metrics", "report_metric_keys", "program_id, kind, period, severity, bucket, within"},
	{"report_breach_counts", "report_breach_units", "program_id, kind, unit, start"},
}

// assertCountersMatch compares every counter with a recount of the reports.
func assertCountersMatch(t *testing.T, path, when string) {
	t.Helper()
	conn, err := sql.Open("sqlite3", "file:"+path+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, c := range counterTables {
		read := func(q string) map[string]int64 {
			rows, err := conn.Query(q)
			if err != nil {
				t.Fatalf("%s: %v", when, err)
			}
			defer rows.Close()
			out := map[string]int64{}
			cols, _ := rows.Columns()
			for rows.Next() {
				vals := make([]any, len(cols))
				ptrs := make([]any, len(cols))
				for i := range vals {
					ptrs[i] = &vals[i]
				}
				if err := rows.Scan(ptrs...); err != nil {
					t.Fatal(err)
				}
				parts := make([]string, len(vals)-1)
				for i, v := range vals[:len(vals)-1] {
					parts[i] = fmt.Sprint(v)
				}
				k := strings.Join(parts, "|")
				out[k] = vals[len(vals)-1].(int64)
			}
			return out
		}
		kept := read(`SELECT ` + c.cols + `, n FROM ` + c.table + ` WHERE n <> 0`)
		recount := read(`SELECT ` + c.cols + `, COUNT(*) FROM ` + c.view + ` GROUP BY ` + c.cols)
		if len(recount) == 0 {
			t.Fatalf("%s: %s: the recount is empty; the workload made nothing to count", when, c.view)
		}
		var diff []string
		for k, n := range recount {
			if kept[k] != n {
				diff = append(diff, fmt.Sprintf("%s: kept %d, recount %d", k, kept[k], n))
			}
		}
		for k, n := range kept {
			if _, ok := recount[k]; !ok {
				diff = append(diff, fmt.Sprintf("%s: kept %d, recount 0", k, n))
			}
		}
		if len(diff) > 0 {
			if len(diff) > 10 {
				diff = diff[:10]
			}
			t.Fatalf("%s: %s differs from a recount (%d keys):\n%s", when, c.table, len(recount), strings.Join(diff, "\n"))
		}
	}
}

// TestMetricCountersEqualRecount runs a mixed workload over every path that
// writes reports (demo, web, mail, replies, state changes with pauses,
// severity edits, target changes, retention, restore) and checks after each
// that the counters equal a recount from the reports table.
func TestMetricCountersEqualRecount(t *testing.T) {
	ctx := context.Background()
	f := newTriageFixture(t)
	if _, err := demo.Generate(ctx, f.DB, demo.Options{Reports: 400, Seed: 9, LongEvery: 1000}); err != nil {
		t.Fatal(err)
	}
	assertCountersMatch(t, f.DB.Path, "after the demo")

	var rs []*db.Report
	for i := 0; i < 6; i++ {
		rs = append(rs, f.report(t, []int64{f.P1.ID, f.P2.ID}[i%2], fmt.Sprintf("Report %d", i), "desc"))
		f.advance(7 * time.Hour)
	}
	if _, err := f.DB.SyncMailbox(ctx, "INBOX", 7); err != nil {
		t.Fatal(err)
	}
	if _, err := mailin.IngestMailBatch(ctx, f.DB, []*db.InboundMail{
		inboundMail(1, "<m1@x.test>", "a@x.test", "mailed one", "first"),
		inboundMail(2, "<m2@x.test>", "b@x.test", "mailed two", "second"),
	}, mailin.IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	assertCountersMatch(t, f.DB.Path, "after web and mail intake")

	f.advance(30 * time.Hour)
	if err := f.DB.Reply(ctx, rs[0].ID, rs[0].Version, f.Actor, "Thanks", nil, db.DefaultLimits); err != nil {
		t.Fatal(err)
	}
	r := f.mustState(t, f.fresh(t, rs[2].ID), db.StateTriaged, "")
	if err := f.DB.EditFields(ctx, r.ID, r.Version, f.Actor, db.FieldEdit{CVSSVector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}); err != nil {
		t.Fatal(err)
	}
	r = f.mustState(t, f.fresh(t, r.ID), db.StateNeedsInfo, "")
	f.advance(3 * 24 * time.Hour)
	assertCountersMatch(t, f.DB.Path, "while a report is paused")
	if err := f.DB.AddReporterMessage(ctx, r.ID, "more detail", nil, db.SourceWeb, db.DefaultLimits); err != nil {
		t.Fatal(err)
	}
	r = f.fresh(t, r.ID)
	if r.State == db.StateNeedsInfo {
		r = f.mustState(t, r, db.StateTriaged, "")
	}
	f.mustState(t, r, db.StateResolved, "")
	f.mustState(t, f.fresh(t, rs[4].ID), db.StateSpam, "spam")
	f.mustState(t, f.fresh(t, rs[5].ID), db.StateTriaged, "")
	assertCountersMatch(t, f.DB.Path, "after replies, state changes and a severity edit")

	p := *f.P1
	p.TriageDays, p.ResolveCriticalDays, p.FirstResponseDays = 1, 2, 1
	if _, err := f.DB.SaveProgram(ctx, &p, nil, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	assertCountersMatch(t, f.DB.Path, "after a program's targets changed")

	if err := f.DB.SetRetentionRule(ctx, &db.RetentionRule{ProgramID: f.P1.ID, AttachmentsDays: 30, AnonymiseDays: 365, SpamDeleteDays: 7}, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	f.advance(10 * 24 * time.Hour)
	res, err := f.DB.Purge(ctx, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Done[db.DisposeDelete] == 0 {
		t.Fatalf("the purge deleted nothing: %+v", res)
	}
	assertCountersMatch(t, f.DB.Path, "after the retention purge")

	file := filepath.Join(t.TempDir(), "b.db")
	if err := f.DB.Backup(ctx, file, nil); err != nil {
		t.Fatal(err)
	}
	dataDir := filepath.Join(t.TempDir(), "restored")
	if _, err := db.Restore(ctx, file, dataDir, "disclose.db", filepath.Join(filepath.Dir(f.DB.Path), db.LocalKeyFile)); err != nil {
		t.Fatal(err)
	}
	restored, err := db.Open(ctx, filepath.Join(dataDir, "disclose.db"))
	if err != nil {
		t.Fatal(err)
	}
	restored.Now = f.DB.Now
	if _, err := demo.Generate(ctx, restored, demo.Options{Reports: 50, Seed: 4, LongEvery: 1000}); err != nil {
		t.Fatal(err)
	}
	restored.Close()
	assertCountersMatch(t, filepath.Join(dataDir, "disclose.db"), "after a restore and more demo reports")
}

// TestDeadlineBreachesFromCounters checks the Prometheus breach counts read
// from the counters against a count of the open reports' deadlines, at many
// moments (the counters are exact to the minute).
func TestDeadlineBreachesFromCounters(t *testing.T) {
	ctx := context.Background()
	f := newTriageFixture(t)
	if _, err := demo.Generate(ctx, f.DB, demo.Options{Reports: 300, Seed: 5, LongEvery: 1000}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 4; i++ {
		f.report(t, f.P1.ID, "fresh", "desc")
		f.advance(13 * time.Hour)
	}
	conn, err := sql.Open("sqlite3", "file:"+f.DB.Path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	base := f.now
	for _, d := range []time.Duration{0, 90 * time.Second, 2*24*time.Hour + 17*time.Minute, 11 * 24 * time.Hour, 400 * 24 * time.Hour, -300 * 24 * time.Hour} {
		f.now = base.Add(d)
		st, err := f.DB.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		minute := f.now.Unix() - f.now.Unix()%60
		for kind, label := range map[string]string{"first_response": "first_response", "triage": "triage", "resolution": "resolve"} {
			var want int
			if err := conn.QueryRow(`SELECT COUNT(*) FROM report_breach_rows WHERE kind = ? AND due < ?`, kind, minute).Scan(&want); err != nil {
				t.Fatal(err)
			}
			if got := st.DeadlineBreaches[label]; got != want {
				t.Errorf("at %s: %s breaches %d, a count of the reports says %d", f.now, label, got, want)
			}
		}
	}
}
