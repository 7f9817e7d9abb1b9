package db_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/db/demo"
)

// manyPrograms is a demo database whose reports are spread over 12 more
// programs (as TestOrgQueueScale's over 200), and those programs' ids.
func manyPrograms(t *testing.T, reports int) (*db.DB, []int64) {
	t.Helper()
	ctx := context.Background()
	d := MustOpenDB(t)
	if _, err := demo.Generate(ctx, d, demo.Options{Reports: reports, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	var programs []int64
	for i := 0; i < 13; i++ {
		p := db.NewProgramDefaults()
		p.Name, p.Slug, p.Prefix = fmt.Sprintf("Client %d", i), fmt.Sprintf("client-%d", i), fmt.Sprintf("CL%d", i)
		p, err := d.SaveProgram(ctx, p, nil, db.ActorSystem)
		if err != nil {
			t.Fatal(err)
		}
		programs = append(programs, p.ID)
	}
	// The last program stays empty.
	if err := d.Update(ctx, func(ctx context.Context, tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE reports SET program_id = ?1 + (id % 12), number = id`, programs[0])
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for i, id := range programs {
		if id != programs[0]+int64(i) {
			t.Fatalf("program ids are not consecutive: %v", programs)
		}
	}
	return d, programs
}

// TestQueueMergeSamePages: a user of a few programs of many (a parent
// organisation's) gets the same pages when each program's own range is
// read and merged (queue_merge.go) as when one index of every program is
// walked and filtered, in every tab and state, order, assignee filter and
// page, including programs without reports in the view's states.
func TestQueueMergeSamePages(t *testing.T) {
	ctx := context.Background()
	d, ps := manyPrograms(t, 3000)
	defer db.SetMergeOffForTest(false)
	defer db.SetMergeRatioForTest(db.SetMergeRatioForTest(1)) // merge every view that may be merged
	pages := 0
	for _, visible := range [][]int64{ps[:2], ps[3:8], {ps[1], ps[12]}, {ps[12], ps[12] + 1000}} {
		for _, st := range []string{"open", "closed", "all", "new", "triaged", "spam"} {
			for _, sort := range []string{"newest", "oldest", "severity"} {
				for _, assignee := range []string{"", "none"} {
					for page := 1; page <= 3; page++ {
						f, err := d.ParseQueueParams(ctx, db.QueueParams{State: st, Sort: sort, Assignee: assignee, Page: fmt.Sprint(page)}, 1)
						if err != nil {
							t.Fatal(err)
						}
						f.Visible = visible
						var got [2][]string
						var next [2]bool
						var counts [2]string
						for i, off := range []bool{false, true} {
							db.SetMergeOffForTest(off)
							q, err := d.Queue(ctx, f)
							if err != nil {
								t.Fatal(err)
							}
							got[i], next[i], counts[i] = refs(q), q.HasNext, fmt.Sprint(q.Counts)
						}
						if !slices.Equal(got[0], got[1]) || next[0] != next[1] || counts[0] != counts[1] {
							t.Fatalf("programs %v, %s, %s, assignee %q, page %d: merged %v (next %v), walked %v (next %v)",
								visible, st, sort, assignee, page, got[0], next[0], got[1], next[1])
						}
						if len(got[0]) > 0 {
							pages++
						}
					}
				}
			}
		}
	}
	if pages < 100 {
		t.Fatalf("only %d non-empty pages compared", pages)
	}
}

// TestQueueMergeBounded: a view of a few programs of many that no
// narrower filter leads reads each program's own range of an index
// (program_id = ?), never a range of every program's reports filtered
// down to the user's: a parent's "open, unassigned, page 3" walked the
// portal's unassigned reports and kept 1 in 20. Views in id order merge
// only where the user's programs are a small part of the range
// (mergeRatio; here 3 programs of 12 are a quarter, so the ratio is
// lowered to check those plans too).
func TestQueueMergeBounded(t *testing.T) {
	ctx := context.Background()
	d, ps := manyPrograms(t, 600)
	defer db.SetMergeRatioForTest(db.SetMergeRatioForTest(32))
	for _, ratio := range []int64{32, 2} {
		db.SetMergeRatioForTest(ratio)
		for _, st := range []string{"open", "closed", "all", "new"} {
			for _, sort := range []string{"newest", "oldest", "severity"} {
				for _, assignee := range []string{"", "none"} {
					if ratio == 32 && sort != "severity" && assignee == "" {
						continue // a quarter of the reports: walked in id order
					}
					p := db.QueueParams{State: st, Sort: sort, Assignee: assignee, Page: "3"}
					f, err := d.ParseQueueParams(ctx, p, 1)
					if err != nil {
						t.Fatal(err)
					}
					f.Visible = ps[3:6]
					plan, err := d.QueuePlanForTest(ctx, f)
					if err != nil {
						t.Fatal(err)
					}
					if testing.Verbose() {
						t.Logf("%s:\n  %s", p.Query().Encode(), strings.Join(plan, "\n  "))
					}
					for _, line := range plan {
						if strings.Contains(line, "TEMP B-TREE") {
							t.Errorf("3 programs of 13, %s: sorts its matches (%q)", p.Query().Encode(), line)
						}
						if (strings.HasPrefix(line, "SCAN r") || strings.HasPrefix(line, "SEARCH r")) && !strings.Contains(line, "program_id=?") {
							t.Errorf("3 programs of 13, %s: reads %q, not one program's range", p.Query().Encode(), line)
						}
					}
				}
			}
		}
	}
}

// TestQueueArmsMatchReference: the pages read by arms (one program's
// states by severity, a few programs merged, newest or by severity) are
// the rows a plain sort of every matching report gives, page by page.
func TestQueueArmsMatchReference(t *testing.T) {
	ctx := context.Background()
	d, ps := manyPrograms(t, 3000)
	defer db.SetMergeRatioForTest(db.SetMergeRatioForTest(1))
	const rank = `(CASE severity WHEN 'critical' THEN 5 WHEN 'high' THEN 4 WHEN 'medium' THEN 3 WHEN 'low' THEN 2 WHEN 'none' THEN 1 ELSE 0 END)`
	compared := 0
	for _, visible := range [][]int64{ps[2:3], ps[3:7]} {
		for _, st := range []string{"open", "closed", "all", "triaged"} {
			for _, sort := range []string{"newest", "oldest", "severity"} {
				for page := 1; page <= 3; page++ {
					f, err := d.ParseQueueParams(ctx, db.QueueParams{State: st, Sort: sort, Page: fmt.Sprint(page)}, 1)
					if err != nil {
						t.Fatal(err)
					}
					f.Visible = visible
					q, err := d.Queue(ctx, f)
					if err != nil {
						t.Fatal(err)
					}
					var got []string
					for _, r := range q.Rows {
						got = append(got, fmt.Sprint(r.ID))
					}
					cond, args := `program_id IN (`+strings.Repeat("?, ", len(visible)-1)+`?)`, []any{}
					for _, id := range visible {
						args = append(args, id)
					}
					if len(f.States) > 0 {
						cond += ` AND state IN (` + strings.Repeat("?, ", len(f.States)-1) + `?)`
						for _, s := range f.States {
							args = append(args, string(s))
						}
					}
					order := map[string]string{"newest": `id DESC`, "oldest": `id ASC`, "severity": rank + ` DESC, id DESC`}[sort]
					var want string
					err = d.QueryRowForTest(ctx, `SELECT COALESCE(group_concat(id), '') FROM (SELECT id FROM reports NOT INDEXED WHERE `+cond+
						` ORDER BY `+order+` LIMIT ? OFFSET ?)`, append(args, db.QueuePageSize, (page-1)*db.QueuePageSize)...).Scan(&want)
					if err != nil {
						t.Fatal(err)
					}
					if strings.Join(got, ",") != want {
						t.Fatalf("programs %v, %s by %s, page %d:\n got %v\nwant %s", visible, st, sort, page, got, want)
					}
					if want != "" {
						compared++
					}
				}
			}
		}
	}
	if compared < 50 {
		t.Fatalf("only %d non-empty pages compared", compared)
	}
}
