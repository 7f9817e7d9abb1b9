package db

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"
)

// migrationSteps are the parts of migrations written in Go, run in the
// migration's transaction after its SQL (migrateFile).
var migrationSteps = map[string]func(ctx context.Context, tx *sql.Tx) error{
	"migrations/0034_fts_scope.sql": fillScopedIndex,
}

// fillChunk is how many report ids one statement of fillScopedIndex indexes.
const fillChunk = 100_000

// fillScopedIndex fills the search index that migration 0034 made again,
// from the reports that are not sealed and not waiting for the commit's
// indexing (reports_fts_pending), in pieces of fillChunk ids so that an
// upgrade of a large database says how far it is: a million reports take
// minutes (README, "At a million reports").
func fillScopedIndex(ctx context.Context, tx *sql.Tx) error {
	var maxID int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM reports`).Scan(&maxID); err != nil {
		return fmt.Errorf("db: index reports: %w", err)
	}
	start := time.Now()
	for from := int64(0); from < maxID; from += fillChunk {
		_, err := tx.ExecContext(ctx, `INSERT INTO reports_fts (rowid, title, asset, description, steps, impact, scope)
			SELECT id, title, asset, description, steps, impact, scope FROM reports
			WHERE id > ? AND id <= ? AND sealed = 0 AND id NOT IN (SELECT id FROM reports_fts_pending) ORDER BY id`, from, from+fillChunk)
		if err != nil {
			return fmt.Errorf("db: index reports: %w", err)
		}
		if maxID > fillChunk {
			slog.Info("db: upgrade: search index made again", "reports", min(from+fillChunk, maxID), "of", maxID,
				"took", time.Since(start).Round(time.Second).String())
		}
	}
	return nil
}
