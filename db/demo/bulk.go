package demo

import (
	"context"
	"fmt"

	"github.com/disclose/disclose/db"
)

// bulkTables are the tables whose secondary indexes a bulk load builds at
// the end. Reports carry 17 index entries each (one per queue view), each
// written at its own place in its index: with the indexes live, the
// 1,000,000 report demo took 6 to 8 minutes. The timeline, outbox, audit
// and raw mail rows are written in time order and their indexes grow at
// their ends (report id, id, time, or a few values of status or action),
// so they stay live: to build them again would read those large tables
// once per index. The search index stays live too: it takes each batch's
// reports in one statement at the commit (Tx.indexNewReports), 7 % of the
// time, where building it in one pass at the end wrote gigabytes into the
// log (one transaction larger than the page cache).
var bulkTables = []string{"reports"}

// bulkSchema is what a bulk load takes out of a database and puts back:
// the CREATE statements exactly as sqlite_master holds them.
type bulkSchema struct {
	indexes []string // name, sql pairs flattened: name at even positions
}

// startBulk, on a database that has no report yet, drops the secondary
// indexes of the bulk tables, so that the rows go in as appends.
// finishBulk builds them again from the saved SQL (one sort per index). On
// a database that has reports it does nothing and returns nil: a demo added
// to a working portal's data goes in row by row, with every index live.
//
// A demo interrupted between the two (killed, not failed: a failure puts
// the schema back) leaves a new database without those indexes; remove the
// data directory and run it again.
func startBulk(ctx context.Context, d *db.DB) (*bulkSchema, error) {
	var s *bulkSchema
	err := d.Update(ctx, func(ctx context.Context, tx *db.Tx) error {
		var last int64 // the largest id: one lookup, where EXISTS walked an index
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM reports`).Scan(&last); err != nil {
			return fmt.Errorf("demo: look for reports: %w", err)
		}
		if last > 0 {
			return nil
		}
		s = &bulkSchema{}
		for _, t := range bulkTables {
			rows, err := tx.QueryContext(ctx, `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL ORDER BY rowid`, t)
			if err != nil {
				return fmt.Errorf("demo: read indexes: %w", err)
			}
			for rows.Next() {
				var name, sql string
				if err := rows.Scan(&name, &sql); err != nil {
					rows.Close()
					return fmt.Errorf("demo: read indexes: %w", err)
				}
				s.indexes = append(s.indexes, name, sql)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return fmt.Errorf("demo: read indexes: %w", err)
			}
		}
		for i := 0; i < len(s.indexes); i += 2 {
			if _, err := tx.ExecContext(ctx, `DROP INDEX "`+s.indexes[i]+`"`); err != nil {
				return fmt.Errorf("demo: drop index %s: %w", s.indexes[i], err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// finishBulk puts back what startBulk took out, each index in a
// transaction of its own: one transaction for all of them held gigabytes
// in the write-ahead log until its commit. An index already there (a
// retry after a failure) is skipped.
func finishBulk(ctx context.Context, d *db.DB, s *bulkSchema, stage func(string)) error {
	if s == nil {
		return nil
	}
	stage("building the indexes of reports")
	for i := 0; i < len(s.indexes); i += 2 {
		err := d.Update(ctx, func(ctx context.Context, tx *db.Tx) error {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = ?`, s.indexes[i]).Scan(&n); err != nil || n > 0 {
				return err
			}
			if _, err := tx.ExecContext(ctx, s.indexes[i+1]); err != nil {
				return fmt.Errorf("demo: create index %s: %w", s.indexes[i], err)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// bulkCacheKiB is the writer's page cache while the generator runs (SQLite's
// default is 2 MiB): the indexes' pages a batch touches, and the sort of
// each index built at the end, then stay in memory.
const bulkCacheKiB = 128 << 10

// bigCache gives the writer connection a larger page cache, unless it has
// one already, and returns a func that puts the old size back.
func bigCache(ctx context.Context, d *db.DB) (restore func(), err error) {
	var old int64
	err = d.Update(ctx, func(ctx context.Context, tx *db.Tx) error {
		if err := tx.QueryRowContext(ctx, `PRAGMA cache_size`).Scan(&old); err != nil {
			return fmt.Errorf("demo: read cache size: %w", err)
		}
		if -old >= bulkCacheKiB { // already larger (db.StartBulkLoad)
			return nil
		}
		_, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA cache_size = %d`, -bulkCacheKiB))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("demo: cache size: %w", err)
	}
	return func() {
		_ = d.Update(context.WithoutCancel(ctx), func(ctx context.Context, tx *db.Tx) error {
			_, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA cache_size = %d`, old))
			return err
		})
	}, nil
}
