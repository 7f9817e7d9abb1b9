package db_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
)

// TestAuditBackfillMemory: the upgrade's filing of old audit rows holds a
// batch at a time, not the log: the peak heap of an Open that files
// 100,000 old rows stays within 4 MB of one that files 10,000
// (the live heap after each collection, runtime/metrics /gc/heap/live,
// sampled during Open).
func TestAuditBackfillMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 110,000 audit rows")
	}
	peak := func(rows int) uint64 {
		ctx := context.Background()
		path := filepath.Join(t.TempDir(), "disclose.db")
		d, err := db.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		client, err := d.CreateOrg(ctx, &db.NewOrg{Slug: "client", Name: "Client"}, db.ActorSystem)
		if err != nil {
			t.Fatal(err)
		}
		p := db.NewProgramDefaults()
		p.Name, p.Slug, p.Prefix, p.OrgID = "client-app", "client-app", "CLI", client.ID
		if p, err = d.SaveProgram(ctx, p, nil, db.ActorSystem); err != nil {
			t.Fatal(err)
		}
		if _, err := d.CreateReport(ctx, &db.NewReport{ProgramID: p.ID, Source: db.SourceWeb, Title: "t", Description: "d",
			Reporter: db.Reporter{Email: "r@example.net"}}); err != nil {
			t.Fatal(err)
		}
		d.Close()
		c, err := sql.Open("sqlite3", "file:"+path)
		if err != nil {
			t.Fatal(err)
		}
		// Old rows naming the client's report, a program and an account,
		// as a database before 0033 holds them, and the backfill's note.
		for _, q := range []string{
			`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
			INSERT INTO audit (at, actor, action, target, detail, prev_hash, hash)
			SELECT '2020-01-01T00:00:00.000000Z', 'old', CASE i % 3 WHEN 0 THEN 'report.view' WHEN 1 THEN 'program.update' ELSE 'login.ok' END,
				CASE i % 3 WHEN 0 THEN 'CLI-1' WHEN 1 THEN 'client-app' ELSE 'someone@example.org' END, 'detail ' || i, '', '' FROM n`,
			`INSERT INTO audit_backfill (next_id, end_id) SELECT 1, MAX(id) FROM audit`,
		} {
			if _, err := c.Exec(q, rows); err != nil {
				c.Close()
				t.Fatal(err)
			}
		}
		c.Close()
		runtime.GC()
		var max uint64
		var wg sync.WaitGroup
		stop := make(chan struct{})
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
			tick := time.NewTicker(2 * time.Millisecond)
			defer tick.Stop()
			for {
				metrics.Read(s)
				if v := s[0].Value.Uint64(); v > max {
					max = v
				}
				select {
				case <-stop:
					return
				case <-tick.C:
				}
			}
		}()
		d, err = db.Open(ctx, path)
		close(stop)
		wg.Wait()
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		page, err := d.ListAudit(ctx, db.AuditFilter{Org: client.ID, Action: "report.view", Limit: 10})
		if err != nil || len(page.Entries) != 10 {
			t.Fatalf("old rows on the client's audit: %d %v", len(page.Entries), err)
		}
		return max
	}
	small, large := peak(10_000), peak(100_000)
	t.Logf("peak live heap during Open: 10,000 old rows %.1f MB, 100,000 old rows %.1f MB", float64(small)/1e6, float64(large)/1e6)
	if large > small+4<<20 {
		t.Errorf("filing 100,000 old rows peaked at %d bytes, 10,000 at %d: memory grows with the log", large, small)
	}
}
