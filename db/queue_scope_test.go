package db_test

import (
	"context"
	"slices"
	"testing"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/db/demo"
)

// TestScopedSearchLeads: a search within some programs gives the same pages
// whether the programs' reports lead (each checked against the search
// index) or the search index does (each match checked against the scope).
func TestScopedSearchLeads(t *testing.T) {
	ctx := context.Background()
	d := MustOpenDB(t)
	if _, err := demo.Generate(ctx, d, demo.Options{Reports: 1500, Seed: 5}); err != nil {
		t.Fatal(err)
	}
	ps, err := d.Programs(ctx)
	if err != nil || len(ps) != 3 {
		t.Fatalf("programs=%d (%v)", len(ps), err)
	}
	defer db.SetSearchLeadForTest("")
	pages := 0
	for _, search := range []string{"the", "injection", "password reset", "zebrafish", "ssrf OR xss"} {
		for _, visible := range [][]int64{{ps[0].ID}, {ps[1].ID, ps[2].ID}} {
			for _, sort := range []db.QueueSort{db.SortNewest, db.SortOldest} {
				for _, states := range [][]db.State{nil, db.StateGroups["open"], {db.StateTriaged}} {
					for page := 1; page <= 3; page++ {
						f := db.QueueFilter{Search: search, Visible: visible, Sort: sort, States: states, Page: page}
						var got [2][]string
						var next [2]bool
						for i, lead := range []string{"scope", "index"} {
							db.SetSearchLeadForTest(lead)
							q, err := d.Queue(ctx, f)
							if err != nil {
								t.Fatal(err)
							}
							got[i], next[i] = refs(q), q.HasNext
						}
						if !slices.Equal(got[0], got[1]) || next[0] != next[1] {
							t.Fatalf("%q in %v, %s, %v, page %d: led by the scope %v (next %v), by the index %v (next %v)",
								search, visible, sort, states, page, got[0], next[0], got[1], next[1])
						}
						if len(got[0]) > 0 {
							pages++
						}
					}
				}
			}
		}
	}
	if pages < 40 {
		t.Fatalf("only %d non-empty pages compared", pages)
	}
}
