package demo_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/db/demo"
)

// goldenPath is the fingerprint of the demo of 1,200 reports (seed 9):
// every table's rows, the schema, the search matches. It was first written
// by the generator before bulk.go and the batched inserts (commit 56595b4)
// and both ways of writing matched it; it was written again when the
// schema grew (advisories, incidents, metrics counters, audit scope), by
// the bulk way, which the row-by-row way must still match.
const goldenPath = "testdata/fingerprint_1200.txt"

// TestBulkDemoMatchesRowByRow: a demo written into a new database (indexes
// and the search index built at the end, bulk.go; rows inserted many per
// statement) is the same database as the one the generator wrote row by
// row with every index live: the same schema, the same rows in every table
// (so the same counts the triggers keep), the same search matches, and a
// sound search index.
func TestBulkDemoMatchesRowByRow(t *testing.T) {
	want, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []struct {
		rowByRow, bulkLoad bool
	}{{false, true}, {false, false}, {true, false}} {
		rowByRow := mode.rowByRow
		got := fingerprint(t, demo.Options{Reports: 1200, Seed: 9, LongEvery: 500, RowByRow: rowByRow}, mode.bulkLoad)
		if os.Getenv("DISCLOSE_DEMO_GOLDEN") == "write" {
			if err := os.WriteFile(goldenPath, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		if got != string(want) {
			g, w := strings.Split(got, "\n"), strings.Split(string(want), "\n")
			for i := range max(len(g), len(w)) {
				if at(g, i) != at(w, i) {
					t.Fatalf("row by row=%v, bulk load=%v, first difference at line %d:\n got: %s\nwant: %s", rowByRow, mode.bulkLoad, i+1, at(g, i), at(w, i))
				}
			}
		}
	}
}

// fingerprint makes a demo in a new database and describes it; bulkLoad
// makes it with the writer set as disclose demo sets it for a new file
// (db.BulkLoad: journal in memory, no fsync, exclusive lock).
func fingerprint(t *testing.T, opt demo.Options, bulkLoad bool) string {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "disclose.db")
	d, err := db.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	d.Now = func() time.Time { return time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC) }
	var bulk *db.BulkLoad
	if bulkLoad {
		if bulk, err = d.StartBulkLoad(ctx, 64<<10); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := demo.Generate(ctx, d, opt); err != nil {
		t.Fatal(err)
	}
	if bulk != nil {
		if err := bulk.Finish(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if bad, err := d.VerifyAudit(ctx); err != nil || bad != 0 {
		t.Fatalf("audit chain broken at %d (%v)", bad, err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	c, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// The portal's settings are back: the write-ahead log.
	var mode string
	if err := c.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal mode %q (%v), want wal", mode, err)
	}
	// The search index holds exactly the reports' text.
	if _, err := c.Exec(`INSERT INTO reports_fts (reports_fts, rank) VALUES ('integrity-check', 1)`); err != nil {
		t.Fatalf("search index: %v", err)
	}
	var out []string
	lines := func(q string) {
		rows, err := c.Query(q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		defer rows.Close()
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out = append(out, s)
		}
	}
	lines(`SELECT type || ' ' || name || ' ' || tbl_name || ' ' || COALESCE(sql, '') FROM sqlite_master
		WHERE name NOT LIKE 'sqlite_stat%' ORDER BY type, name`)
	lines(`PRAGMA integrity_check`)
	for _, word := range []string{"injection", "password reset", "ssrf OR xss", "stack", "zebrafish"} {
		lines(fmt.Sprintf(`SELECT '%s: ' || count(*) || ' ' || total(rowid) FROM reports_fts WHERE reports_fts MATCH '%s'`, word, word))
	}
	// Every row of every table but the search index's own (its segments
	// depend on how it was built; the checks above cover it).
	var tables []string
	rows, err := c.Query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'reports_fts%' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	for _, tb := range tables {
		q := `SELECT * FROM "` + tb + `" ORDER BY 1`
		switch tb {
		case "audit":
			// Open writes a row at the real time; the chain is verified above.
			q = `SELECT id, actor_id, actor, client_addr, action, target, detail FROM audit ORDER BY id`
		case "reports", "messages", "outbox", "mail_raw", "mail_raw_chunks", "reporters", "attachments", "attachment_data",
			"row_counts", "report_state_counts", "users", "program_members", "outbox_orgs":
		case "programs":
			q = `SELECT id, slug, name, prefix, next_number FROM programs ORDER BY id`
		default: // what Open writes, at the real time
			q = `SELECT count(*) FROM "` + tb + `"`
		}
		rows, err := c.Query(q)
		if err != nil {
			t.Fatalf("%s: %v", tb, err)
		}
		cols, _ := rows.Columns()
		h := sha256.New()
		n := 0
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(h, "%q\n", vals)
			n++
		}
		rows.Close()
		out = append(out, fmt.Sprintf("table %s: %d rows %s", tb, n, hex.EncodeToString(h.Sum(nil))[:16]))
	}
	return strings.Join(out, "\n") + "\n"
}

func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return "(none)"
}
