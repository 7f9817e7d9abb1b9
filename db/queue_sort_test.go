package db_test

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"testing"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/db/demo"
)

// TestQueueSortBounded: no queue view reads all of a large set of reports
// and sorts them before it knows its page. On a demo database where each
// of three programs holds a third of the reports, every filter of the
// queue's form with every state word and every sort, for the site admin
// and for a user of one program, may sort at most about sqrt(51 × page ×
// reports) rows (sortLead's bound, queue_sort.go): a one-program user's
// queue by severity sorted the whole program (2.6 s at a million), the
// admin's triaged tab by severity every triaged report (430 ms).
func TestQueueSortBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a demo database")
	}
	ctx := context.Background()
	d, err := db.Open(ctx, filepath.Join(t.TempDir(), "disclose.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	const reports = 12_000
	if _, err := demo.Generate(ctx, d, demo.Options{Reports: reports, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	ps, err := d.Programs(ctx)
	if err != nil || len(ps) < 2 {
		t.Fatalf("programs=%d (%v)", len(ps), err)
	}
	filters := []db.QueueParams{{}, {Severity: "high"}, {Severity: "unrated"}, {Assignee: "3"}, {Assignee: "none"},
		{Source: "web"}, {Source: "email"}, {Deadline: "overdue"}, {Page: "3"}}
	for _, who := range []struct {
		name    string
		visible []int64
	}{{"admin", nil}, {"one program", []int64{ps[0].ID}}} {
		for _, st := range []string{"open", "closed", "all", "new", "triaged", "spam"} {
			for _, sort := range []string{"newest", "oldest", "severity", "deadline"} {
				for _, p := range filters {
					p.State, p.Sort = st, sort
					f, err := d.ParseQueueParams(ctx, p, 1)
					if err != nil {
						t.Fatal(err)
					}
					f.Visible = who.visible
					index, sorted, err := d.QueueSortForTest(ctx, f)
					if err != nil {
						t.Fatalf("%s %+v: %v", who.name, p, err)
					}
					bound := int64(math.Sqrt(float64(db.QueuePageSize+1)*float64(f.Page)*reports)) + int64(db.QueuePageSize+1)*int64(f.Page)
					if sorted > bound {
						t.Errorf("%s, %s: walks %s and sorts %d rows before its page (at most %d)", who.name, fmt.Sprint(p.Query().Encode()), index, sorted, bound)
					}
				}
			}
		}
	}
}
