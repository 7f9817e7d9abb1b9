package db_test

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"

	"github.com/disclose/disclose/db"
)

// TestGroupCommit submits from many goroutines at once, half of them twice
// with the same form key, and checks that every accepted report is stored
// once with its own number, resubmissions store nothing, and the audit chain
// stays whole across shared transactions and rolled-back savepoints.
func TestGroupCommit(t *testing.T) {
	ctx := context.Background()
	d := MustOpenDB(t)
	p, _ := d.DefaultProgram(ctx)
	const n = 200
	var wg sync.WaitGroup
	refs := make(chan string, 2*n)
	dups := make(chan string, 2*n)
	for i := 0; i < n; i++ {
		for try := 0; try < 1+i%2; try++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				in := validReport(p.ID)
				in.SubmissionKey = fmt.Sprintf("%032x", i)
				rc, err := d.CreateReport(ctx, in)
				switch e := db.AsError(err); {
				case e != nil && e.Code == db.ECONFLICT && e.Ref != "":
					dups <- e.Ref
				case err != nil:
					t.Error(err)
				default:
					refs <- rc.Ref
				}
			}()
		}
	}
	wg.Wait()
	close(refs)
	close(dups)
	var got []string
	for r := range refs {
		got = append(got, r)
	}
	sort.Strings(got)
	if len(got) != n {
		t.Fatalf("%d reports accepted, want %d", len(got), n)
	}
	for i := 1; i < len(got); i++ {
		if got[i] == got[i-1] {
			t.Fatalf("reference %s given twice", got[i])
		}
	}
	if c := len(dups); c != n/2 {
		t.Fatalf("%d resubmissions recognised, want %d", c, n/2)
	}
	if c, _ := d.CountReports(ctx); c != n {
		t.Fatalf("%d reports stored, want %d", c, n)
	}
	if bad, err := d.VerifyAudit(ctx); err != nil || bad != 0 {
		t.Fatalf("audit chain broken at row %d (%v)", bad, err)
	}
	// Numbers have no gaps: a rolled-back resubmission gives its number back.
	r, err := d.ReportByRef(ctx, fmt.Sprintf("SEC-%d", n))
	if err != nil || r.Number != n {
		t.Fatalf("SEC-%d: %v", n, err)
	}
}

func TestCloseWhileWriting(t *testing.T) {
	ctx := context.Background()
	d := MustOpenDB(t)
	p, _ := d.DefaultProgram(ctx)
	if _, err := d.CreateReport(ctx, validReport(p.ID)); err != nil {
		t.Fatal(err)
	}
	d.Close()
	if _, err := d.CreateReport(ctx, validReport(p.ID)); err == nil {
		t.Fatal("a write after Close succeeded")
	}
}
