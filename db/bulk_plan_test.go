package db_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/db/demo"
)

// TestBulkLoadPlans holds the statements of a demo (db/demo's batches,
// BulkInsertReports, AuditRows, FileReportMail) to the rule of
// TestQueryPlans: none scans a table that grows with reports, mail or
// audit rows, with a portal's statistics or with none (a new database
// being filled has none). A batch that read every row written before it
// made each batch of a 1,000,000-report demo slower than the one before.
func TestBulkLoadPlans(t *testing.T) {
	ctx := context.Background()
	order, restore := traceDistinct()
	path := filepath.Join(t.TempDir(), "disclose.db")
	d, err := db.Open(ctx, path)
	if err != nil {
		restore()
		t.Fatal(err)
	}
	_, err = demo.Generate(ctx, d, demo.Options{Reports: 300, Seed: 1})
	restore()
	d.Close()
	if err != nil {
		t.Fatal(err)
	}
	stats, err := os.ReadFile("testdata/plan_stats.sql")
	if err != nil {
		t.Fatal(err)
	}
	// plan_stats.sql gives the audit log 2 rows; a portal's grows with
	// every action (2.8 million rows in the 1,000,000-report demo), and with
	// 2 rows SQLite reads the whole table rather than a range of ids.
	audit := "\nUPDATE sqlite_stat1 SET stat = '2800000 300000' WHERE tbl = 'audit' AND idx = 'audit_action';"
	for _, mode := range []struct{ name, stats string }{{"1M-statistics", string(stats) + audit}, {"no-statistics", ""}} {
		t.Run(mode.name, func(t *testing.T) {
			conn := explainConn(t, path, mode.stats)
			for _, q := range *order {
				plan, err := explain(conn, q)
				if err != nil {
					t.Errorf("explain %s: %v", q, err)
					continue
				}
				if bad := bigScans(q, plan); len(bad) > 0 {
					t.Errorf("statement scans %s:\n  %s\nplan:\n  %s", strings.Join(bad, ", "), q, strings.Join(plan, "\n  "))
				}
			}
		})
	}
}
