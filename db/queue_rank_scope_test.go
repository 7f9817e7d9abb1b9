package db_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/disclose/disclose/db"
)

// TestWholeScopeSearchSamePages: a search by relevance, severity or
// deadline within programs that hold at most searchWindow reports reads
// every match in the index's order instead of the newest 1,000 (wholeScope)
// and gives the same pages, ranked title first or by bm25, for one program
// and for a few, and for a scope just over the window (read as before).
func TestWholeScopeSearchSamePages(t *testing.T) {
	ctx := context.Background()
	d, ps := manyPrograms(t, 3000) // 250 reports a program
	defer db.SetWholeScopeOffForTest(false)
	pages := 0
	for _, common := range []int{20_000, 1} {
		old := db.SetCommonWordForTest(common) // 1: every word is common, ranked title first
		for _, visible := range [][]int64{ps[2:3], ps[4:8], ps[:5]} {
			for _, search := range []string{"the", "injection", "password reset", "xss OR ssrf", "zebrafish"} {
				for _, sort := range []db.QueueSort{db.SortRelevance, db.SortSeverity, db.SortDeadline} {
					for _, states := range [][]db.State{nil, db.StateGroups["open"]} {
						for page := 1; page <= 3; page++ {
							f := db.QueueFilter{Search: search, Visible: visible, Sort: sort, States: states, Page: page}
							var got [2][]string
							var next [2]bool
							for i, off := range []bool{false, true} {
								db.SetWholeScopeOffForTest(off)
								q, err := d.Queue(ctx, f)
								if err != nil {
									t.Fatal(err)
								}
								got[i], next[i] = refs(q), q.HasNext
							}
							if !slices.Equal(got[0], got[1]) || next[0] != next[1] {
								t.Fatalf("common at %d, %q in %v, %s, %v, page %d: whole scope %v (next %v), newest window %v (next %v)",
									common, search, visible, sort, states, page, got[0], next[0], got[1], next[1])
							}
							if len(got[0]) > 0 {
								pages++
							}
						}
					}
				}
			}
		}
		db.SetCommonWordForTest(old)
	}
	if pages < 100 {
		t.Fatalf("only %d non-empty pages compared", pages)
	}
}

// TestWholeScopeSearchWalksOnce: a client's search by relevance of a word
// in nearly every report reads the word's list oldest first, never newest
// first to find a window of its newest 1,000 matches and again for the
// window's start: within a program of 250 reports, the window is every
// match.
func TestWholeScopeSearchWalksOnce(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	on := false
	var seen []string
	restore := db.TraceStatementsForTest(func(q string) {
		mu.Lock()
		defer mu.Unlock()
		if on && strings.Contains(q, "reports_fts MATCH") {
			seen = append(seen, q)
		}
	})
	defer restore()
	d, ps := manyPrograms(t, 3000)
	old := db.SetCommonWordForTest(100)
	defer db.SetCommonWordForTest(old)
	for _, sort := range []db.QueueSort{db.SortRelevance, db.SortSeverity} {
		mu.Lock()
		on, seen = true, nil
		mu.Unlock()
		q, err := d.Queue(ctx, db.QueueFilter{Search: "the", Visible: ps[2:3], Sort: sort})
		mu.Lock()
		on = false
		mu.Unlock()
		if err != nil || len(q.Rows) == 0 {
			t.Fatalf("%s: %d rows (%v)", sort, len(q.Rows), err)
		}
		if sort == db.SortRelevance && !q.TitleFirst {
			t.Fatalf("\"the\" is not ranked title first")
		}
		if len(seen) == 0 {
			t.Fatalf("%s: no search statement recorded", sort)
		}
		for _, s := range seen {
			if strings.Contains(s, "ORDER BY rowid DESC") {
				t.Errorf("search \"the\" by %s in a program of 250 reports walks newest first: %s", sort, s)
			}
		}
		if testing.Verbose() {
			t.Logf("%s: %s", sort, fmt.Sprint(seen))
		}
	}
}
