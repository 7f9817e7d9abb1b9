package db

import (
	"context"
	"fmt"
)

// indexInserts adds the reports listed in reports_fts_pending to the
// on-disk search index with FTS5's secure-delete switched off for the
// flush of their terms only.
//
// FTS5 (SQLite 3.54.1, fts5FlushOneHash) takes a new entry for a delete
// when the first byte of its position-list size has its low bit set, which
// it has for every term that fills 64-127 (or 192-255 ...) bytes of
// positions in a document: a common word of a long report. For each one it
// searches the term's doclist in every segment for the new rowid
// (fts5FlushSecureDelete), finds nothing, and writes the entry as usual. A
// common word's doclist grows with the number of reports, so at a million
// reports these searches were 22% of the CPU of mail intake and made it
// 0.69-0.70 of a small database's rate; without them 0.80-0.81 (README
// "Performance").
//
// Setting an FTS5 option first flushes what the transaction wrote before
// with the current value: so the first statement below writes any deletes
// of this transaction (a purge, an edit of report text) with secure-delete
// on, the new reports' terms then go to the in-memory hash, and the second
// statement flushes them with secure-delete off before it turns it on
// again. The transaction commits secure-delete on; a reader never sees it
// off, and no delete is ever flushed while it is off.
func (tx *Tx) indexInserts(ctx context.Context) error {
	var pending bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM reports_fts_pending)`).Scan(&pending); err != nil {
		return fmt.Errorf("db: index new reports: %w", err)
	}
	if !pending {
		return nil
	}
	for _, q := range []string{
		`INSERT INTO reports_fts (reports_fts, rank) VALUES ('secure-delete', 0)`,
		indexPending,
		`INSERT INTO reports_fts (reports_fts, rank) VALUES ('secure-delete', 1)`,
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("db: index new reports: %w", err)
		}
	}
	return nil
}
