package db

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// SealedCoverage says which sealed reports a search looked at.
type SealedCoverage string

// The coverages of a search.
const (
	SealedCovered SealedCoverage = ""        // every one
	SealedPartial SealedCoverage = "partial" // those indexed so far: the index is being built
	SealedLocked  SealedCoverage = "locked"  // none: the team key is locked
)

// sealedSearch runs fn on the index, once it has caught up with what
// changed; fn runs under f.mu and must be quick. It says which sealed
// reports fn could see: all, those indexed so far (while building, or when
// there is more to catch up than one search should wait for), or none
// (locked: fn is not called).
func (db *DB) sealedSearch(ctx context.Context, fn func(conn *sql.DB) error) (SealedCoverage, error) {
	if db.sealer == nil || !db.sealOn {
		// Sealing off: serve refuses to start on sealed rows, so there is
		// none to miss (and a portal with a team key for mail alone builds
		// no index).
		return SealedCovered, nil
	}
	if !db.Unlocked() {
		db.DropSealedIndex()
		return SealedLocked, nil
	}
	caughtUp, err := db.catchUpSealedIndex(ctx, searchCatchUp)
	if err != nil {
		return SealedPartial, err
	}
	f := &db.fts
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.conn == nil {
		return SealedPartial, nil
	}
	cov := SealedCovered
	if !caughtUp || !f.scanned || f.err != nil {
		cov = SealedPartial
	}
	return cov, fn(f.conn)
}

// sealedMatches returns the ids of sealed reports matching an FTS5 query,
// best first, and whether that is every sealed match.
func (db *DB) sealedMatches(ctx context.Context, match string, limit int) ([]int64, SealedCoverage, error) {
	if match == "" {
		return nil, SealedCovered, nil
	}
	var ids []int64
	cov, err := db.sealedSearch(ctx, func(conn *sql.DB) error {
		var err error
		ids, err = queryIDs(ctx, conn, `SELECT rowid FROM sealed_fts WHERE sealed_fts MATCH ? ORDER BY rank LIMIT ?`, match, limit)
		return err
	})
	if err != nil {
		return nil, cov, fmt.Errorf("db: search sealed reports: %w", err)
	}
	return ids, cov, nil
}

// sealedMatchesBefore returns up to limit ids of sealed reports matching an
// FTS5 query, in id order (descending, or ascending with asc) after the id
// cursor (0: from the start). The queue walks them in its sort order.
func (db *DB) sealedMatchesBefore(ctx context.Context, match string, cursor int64, asc bool, limit int) ([]int64, SealedCoverage, error) {
	q := `SELECT rowid FROM sealed_fts WHERE sealed_fts MATCH ? AND rowid < ? ORDER BY rowid DESC LIMIT ?`
	if asc {
		q = `SELECT rowid FROM sealed_fts WHERE sealed_fts MATCH ? AND rowid > ? ORDER BY rowid ASC LIMIT ?`
	} else if cursor == 0 {
		cursor = 1 << 62
	}
	var ids []int64
	cov, err := db.sealedSearch(ctx, func(conn *sql.DB) error {
		var err error
		ids, err = queryIDs(ctx, conn, q, match, cursor, limit)
		return err
	})
	if err != nil {
		return nil, cov, fmt.Errorf("db: search sealed reports: %w", err)
	}
	return ids, cov, nil
}

// similarSealed returns sealed reports of program whose text shares the
// telling words of title and body, best first.
func (db *DB) similarSealed(ctx context.Context, programID, exceptID int64, title, body string, limit int) ([]int64, error) {
	words := similarityWords(title, body)
	if len(words) == 0 {
		return nil, nil
	}
	quoted := make([]string, len(words))
	for i, w := range words {
		quoted[i] = `"` + w + `"`
	}
	var ids []int64
	_, err := db.sealedSearch(ctx, func(conn *sql.DB) error {
		var err error
		ids, err = queryIDs(ctx, conn, `SELECT rowid FROM sealed_fts WHERE sealed_fts MATCH ? AND program_id = ? AND rowid <> ?
			ORDER BY bm25(sealed_fts, 3.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0) LIMIT ?`,
			textColumns+` : (`+strings.Join(quoted, " OR ")+`) AND `+scopeTerms([]int64{programID}), programID, exceptID, limit)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("db: similar sealed reports: %w", err)
	}
	return ids, nil
}

func queryIDs(ctx context.Context, conn *sql.DB, q string, args ...any) ([]int64, error) {
	rows, err := conn.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// searchesSealed says whether a search of f must look at sealed reports
// too: sealing is on (with it off, serve refuses a database that holds
// sealed reports, so there are none to find).
func (db *DB) searchesSealed(f QueueFilter) bool {
	return f.Search != "" && db.sealer != nil && db.sealOn
}

// matchSealed fills f's sealed matches, every one, for its search words.
func (db *DB) matchSealed(ctx context.Context, f *QueueFilter) (SealedCoverage, error) {
	match := ftsQuery(f.Search)
	if !db.searchesSealed(*f) || match == "" {
		return SealedCovered, nil
	}
	ids, cov, err := db.sealedMatches(ctx, match, -1)
	f.sealedIDs, f.sealedOn = ids, len(ids) > 0
	return cov, err
}
