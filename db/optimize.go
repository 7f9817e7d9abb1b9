package db

import (
	"context"
	"database/sql"
	"fmt"
)

// analysisLimit bounds the rows ANALYZE reads per index (PRAGMA
// analysis_limit): statistics from a sample of each index are enough for
// the planner, and a full ANALYZE of a million reports takes seconds.
const analysisLimit = 400

// optimizeSQL is what SQLite recommends for long-lived connections
// (sqlite.org/pragma.html#pragma_optimize): 0x10002 looks at every table,
// not only those this connection queried, and analyzes those whose
// statistics are missing or stale.
const optimizeSQL = `PRAGMA optimize = 0x10002`

// Optimize refreshes the planner's statistics where they are missing or
// stale, within the analysis limit. serve runs it hourly (cmd/disclose
// workers.go), Open runs it after the migrations and Close before it
// closes: without statistics a grown database's plans depend on whether
// someone once ran ANALYZE (issue 18).
func (db *DB) Optimize(ctx context.Context) error {
	return db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		return optimize(ctx, tx.Tx)
	})
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func optimize(ctx context.Context, x execer) error {
	if _, err := x.ExecContext(ctx, fmt.Sprintf(`PRAGMA analysis_limit = %d`, analysisLimit)); err != nil {
		return fmt.Errorf("db: analysis limit: %w", err)
	}
	if _, err := x.ExecContext(ctx, optimizeSQL); err != nil {
		return fmt.Errorf("db: optimize: %w", err)
	}
	return nil
}
