package demo_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/db/demo"
)

// TestBulkDemoMatchesRowByRow: a demo written into a new database (indexes
// and the search index built at the end, bulk.go) is the same database as
// the same demo written row by row with every index live: the same schema,
// the same rows in every table, the same counts the triggers keep, the same
// search matches, and a sound index (integrity checks).
func TestBulkDemoMatchesRowByRow(t *testing.T) {
	ctx := context.Background()
	var paths []string
	for _, rowByRow := range []bool{false, true} {
		path := filepath.Join(t.TempDir(), "disclose.db")
		d, err := db.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		d.Now = func() time.Time { return time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC) }
		if _, err := demo.Generate(ctx, d, demo.Options{Reports: 1200, Seed: 9, LongEvery: 500, RowByRow: rowByRow}); err != nil {
			t.Fatal(err)
		}
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, path)
	}
	queries := []string{
		`SELECT type || ' ' || name || ' ' || tbl_name || ' ' || COALESCE(sql, '') FROM sqlite_master WHERE name NOT LIKE 'sqlite_stat%' ORDER BY type, name`,
		`SELECT tbl || ' ' || key || ' ' || n FROM row_counts ORDER BY tbl, key`,
		`SELECT program_id || ' ' || state || ' ' || n FROM report_state_counts ORDER BY program_id, state`,
		`SELECT 'reports ' || count(*) || ' ' || total(id * length(title || description)) || ' ' || total(COALESCE(due_at, 0)) FROM reports`,
		`SELECT 'messages ' || count(*) || ' ' || total(id * report_id) FROM messages`,
		`SELECT 'outbox ' || count(*) || ' ' || total(id * COALESCE(report_id, 0)) FROM outbox`,
		`SELECT 'audit ' || count(*) || ' ' || group_concat(DISTINCT action) FROM audit`,
		`SELECT 'mail_raw ' || count(*) FROM mail_raw`,
		`SELECT 'reporters ' || count(*) FROM reporters`,
		`SELECT 'attachments ' || count(*) FROM attachments`,
		`SELECT 'pending ' || count(*) FROM reports_fts_pending`,
		`PRAGMA integrity_check`,
	}
	for _, word := range []string{"injection", "password reset", "ssrf OR xss", "stack", "zebrafish"} {
		queries = append(queries, fmt.Sprintf(`SELECT '%s ' || count(*) || ' ' || total(rowid) FROM reports_fts WHERE reports_fts MATCH '%s'`, word, word))
	}
	var got [2][]string
	for i, path := range paths {
		c, err := sql.Open("sqlite3", "file:"+path)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		// The search index holds exactly the reports' text.
		if _, err := c.Exec(`INSERT INTO reports_fts (reports_fts, rank) VALUES ('integrity-check', 1)`); err != nil {
			t.Fatalf("search index of %s: %v", path, err)
		}
		for _, q := range queries {
			rows, err := c.Query(q)
			if err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			for rows.Next() {
				var s string
				if err := rows.Scan(&s); err != nil {
					t.Fatal(err)
				}
				got[i] = append(got[i], s)
			}
			rows.Close()
		}
	}
	if !slices.Equal(got[0], got[1]) {
		for i := range max(len(got[0]), len(got[1])) {
			a, b := at(got[0], i), at(got[1], i)
			if a != b {
				t.Errorf("bulk:       %s\nrow by row: %s", a, b)
			}
		}
	}
	for _, want := range []string{"ok", "reports 1200"} {
		if !slices.ContainsFunc(got[0], func(s string) bool { return len(s) >= len(want) && s[:len(want)] == want }) {
			t.Errorf("no %q in %v", want, got[0][:3])
		}
	}
}

func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return "(none)"
}
