package db_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
)

// A search of sealed reports finds the same reports, in the same order and
// on the same pages, as the same search of the same reports kept plain:
// every sort, other filters beside the words, words that match a few
// reports or every one.
func TestSealedSearchMatchesPlain(t *testing.T) {
	ctx := context.Background()
	plain := MustOpenDB(t)
	sealed := MustOpenDB(t)
	sealed.SetSealer(newTeamKey(t), true)
	words := []string{"overflow", "injection", "bypass", "traversal", "redirect", "token", "session", "upload"}
	vectors := []string{"", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N", "CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N"}
	for _, d := range []*db.DB{plain, sealed} {
		p, _ := d.DefaultProgram(ctx)
		for i := range 130 {
			in := validReport(p.ID)
			in.Attachments = nil
			// Texts of different lengths and word counts, so that bm25
			// ranks without ties.
			in.Title = fmt.Sprintf("%s in %s module %d", words[i%len(words)], words[(i/3)%len(words)], i)
			in.Description = strings.Repeat(words[(i*5)%len(words)]+" ", 1+i%7) + "in the handler of " + words[(i/2)%len(words)]
			in.Asset = fmt.Sprintf("app%d.example.org", i%5)
			in.CVSSVector = vectors[i%len(vectors)]
			rc, err := d.CreateReport(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			if i%4 == 1 {
				mustMove(t, d, rc.ReportID, db.StateNew, db.StateTriaged)
			}
		}
	}
	if st, err := sealed.WaitSealedIndex(ctx); err != nil || st.State != db.SealedIndexReady {
		t.Fatalf("%+v, %v", st, err)
	}
	searches := []string{"overflow", "injection token", "handler", "app3.example.org", "module 7", "nothingmatches", "the"}
	sorts := []db.QueueSort{db.SortNewest, db.SortOldest, db.SortRelevance, db.SortSeverity, db.SortDeadline}
	filters := []db.QueueFilter{{}, {States: []db.State{db.StateTriaged}}, {Severity: db.SeverityCritical}, {Unrated: true}}
	compared := 0
	for _, q := range searches {
		for _, sort := range sorts {
			for _, base := range filters {
				for page := 1; page <= 3; page++ {
					f := base
					f.Search, f.Sort, f.Page = q, sort, page
					want := queuePage(t, plain, f)
					got := queuePage(t, sealed, f)
					if !slices.Equal(got, want) {
						t.Fatalf("search %q by %s, filter %+v, page %d:\n sealed %v\n plain  %v", q, sort, base, page, got, want)
					}
					compared += len(want)
				}
			}
		}
	}
	if compared < 1000 {
		t.Fatalf("only %d rows compared: the data does not exercise the search", compared)
	}
}

// queuePage is one page of the queue: refs, then whether a next page exists.
func queuePage(t *testing.T, d *db.DB, f db.QueueFilter) []string {
	t.Helper()
	q, err := d.Queue(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	if q.Sealed != db.SealedCovered {
		t.Fatalf("coverage %q", q.Sealed)
	}
	var refs []string
	for _, r := range q.Rows {
		refs = append(refs, r.Ref)
	}
	return append(refs, fmt.Sprint("next=", q.HasNext))
}
