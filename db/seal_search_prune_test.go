package db_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/disclose/disclose/db"
)

// changeRows adds n rows to sealed_search_changes as the triggers do, all
// naming report id, made now when young, else long ago (the column's
// default), and returns how many rows the table holds then.
func changeRows(t *testing.T, rw *sql.DB, id int64, n int, young bool) int {
	t.Helper()
	q := `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
		INSERT INTO sealed_search_changes (report_id) SELECT ? FROM n`
	if young {
		q = `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
		INSERT INTO sealed_search_changes (report_id, at) SELECT ?, unixepoch() FROM n`
	}
	if _, err := rw.Exec(q, n, id); err != nil {
		t.Fatal(err)
	}
	var rows int
	if err := rw.QueryRow(`SELECT COUNT(*) FROM sealed_search_changes`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestSealedSearchChangesPruned: the list of changes to sealed reports that
// every process's in-memory index follows keeps the last 10,000 rows and
// those of the last day, not every edit since the database was made (it
// grew without end); an index that applied what is pruned goes on, one
// that had not (a change it never saw is gone) builds itself again rather
// than miss the change.
func TestSealedSearchChangesPruned(t *testing.T) {
	ctx := context.Background()
	d, key := sealedDB(t, 3)
	if st, err := d.WaitSealedIndex(ctx); err != nil || st.State != db.SealedIndexReady {
		t.Fatalf("%+v, %v", st, err)
	}
	rw, err := sql.Open("sqlite3", "file:"+d.Path+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer rw.Close()

	t.Run("Bounded", func(t *testing.T) {
		if n := changeRows(t, rw, 1, 20_000, false); n > 10_000+63 {
			t.Fatalf("sealed_search_changes holds %d rows after 20,000 old changes, want at most 10,063", n)
		}
	})
	t.Run("KeepsTheLastDay", func(t *testing.T) {
		before := changeRows(t, rw, 1, 0, false)
		if _, err := rw.Exec(`UPDATE sealed_search_changes SET at = unixepoch()`); err != nil {
			t.Fatal(err)
		}
		if n := changeRows(t, rw, 1, 5_000, true); n != before+5_000 {
			t.Fatalf("%d rows after 5,000 more of the last day, want all %d kept", n, before+5_000)
		}
		if _, err := rw.Exec(`UPDATE sealed_search_changes SET at = 0`); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("AppliedGoesOn", func(t *testing.T) {
		// The index had not applied the changes pruned above: it builds
		// itself again once.
		searchQueue(t, d, "zebrafish")
		if st, err := d.WaitSealedIndex(ctx); err != nil || st.State != db.SealedIndexReady {
			t.Fatalf("%+v, %v", st, err)
		}
		// An index that searches now and then has applied what is pruned
		// (a search catches up with up to 4,096 rows itself).
		for range 5 {
			changeRows(t, rw, 1, 3_000, false)
			if refs, cov := searchQueue(t, d, "zebrafish"); len(refs) != 3 || cov != db.SealedCovered {
				t.Fatalf("search = %v (%q): an index up to date with the changes built itself again", refs, cov)
			}
		}
	})
	t.Run("BehindRebuilds", func(t *testing.T) {
		// Another process edits a sealed report; the index of this one is
		// not searched for a day of heavy editing, and the change is pruned.
		other, err := db.Open(ctx, d.Path)
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		other.SetSealer(key, true)
		refs, _ := searchQueue(t, d, "zebrafish")
		r, err := other.ReportByRef(ctx, refs[0])
		if err != nil {
			t.Fatal(err)
		}
		if err := other.EditFields(ctx, r.ID, r.Version, db.ActorSystem, db.FieldEdit{Asset: "quagga.example.org", CWE: r.CWE, CVSSVector: r.CVSSVector}); err != nil {
			t.Fatal(err)
		}
		if _, err := rw.Exec(`UPDATE sealed_search_changes SET at = 0`); err != nil {
			t.Fatal(err)
		}
		changeRows(t, rw, 1, 10_100, false)
		var edit int
		if err := rw.QueryRow(`SELECT COUNT(*) FROM sealed_search_changes WHERE report_id = ?`, r.ID).Scan(&edit); err != nil || edit != 0 {
			t.Fatalf("the edit's row is still listed (%d, %v): the test cannot tell", edit, err)
		}
		if _, cov := searchQueue(t, d, "quagga"); cov != db.SealedPartial {
			t.Errorf("the first search after the pruning says %q, want partial while the index builds again", cov)
		}
		if st, err := d.WaitSealedIndex(ctx); err != nil || st.State != db.SealedIndexReady {
			t.Fatalf("%+v, %v", st, err)
		}
		if refs, cov := searchQueue(t, d, "quagga"); len(refs) != 1 || refs[0] != r.Ref() || cov != db.SealedCovered {
			t.Fatalf("search of the pruned edit = %v (%q), want %s", refs, cov, r.Ref())
		}
	})
}
