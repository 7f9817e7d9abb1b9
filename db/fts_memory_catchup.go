package db

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"
)

// catchUpSealedIndex brings the index up to date: sealed reports added
// since (by id) and changes listed by the triggers of migration 0018 (only
// once the first scan is done: the scan reads each report as it is then).
// It opens at most budget reports (0: no bound) and reports whether nothing
// is left; what is left goes to a background worker. With no index it
// starts the build.
func (db *DB) catchUpSealedIndex(ctx context.Context, budget int) (bool, error) {
	f := &db.fts
	f.mu.Lock()
	noIndex := f.conn == nil
	maxID, seq, scanned := f.maxID, f.logSeq, f.scanned
	f.mu.Unlock()
	if noIndex {
		db.StartSealedIndex()
		return false, nil
	}
	var newMax, newSeq int64
	if err := db.read.QueryRowContext(ctx, `SELECT COALESCE((SELECT MAX(id) FROM reports), 0),
		COALESCE((SELECT MAX(seq) FROM sealed_search_changes), 0)`).Scan(&newMax, &newSeq); err != nil {
		return false, fmt.Errorf("db: sealed reports changed: %w", err)
	}
	if newMax <= maxID && (newSeq <= seq || !scanned) {
		return true, nil
	}

	if budget == 0 {
		f.catchMu.Lock()
	} else if !f.catchMu.TryLock() {
		// A worker is catching up: answer from what is there, never wait.
		return false, nil
	}
	defer f.catchMu.Unlock()
	f.mu.Lock()
	gen, maxID, seq, scanned := f.gen, f.maxID, f.logSeq, f.scanned
	f.mu.Unlock()
	limit := budget
	if budget == 0 {
		limit = cmp.Or(f.chunk, scanChunk)
	}
	left := false
	for opened := 0; budget == 0 || opened < budget; {
		var rows []*sealedRow
		var next, nextSeq int64
		var err error
		switch {
		case newMax > maxID:
			if rows, err = db.readSealedRows(ctx, `id > ? AND id <= ?`, []any{maxID, newMax}, limit); err != nil {
				return false, err
			}
			next, nextSeq = newMax, seq
			if len(rows) == limit {
				next = rows[len(rows)-1].id
			}
		case scanned && newSeq > seq:
			var ids []int64
			if ids, nextSeq, err = db.sealedChanges(ctx, seq, newSeq, limit); errors.Is(err, errPruned) {
				db.rebuildSealedIndex(gen)
				return false, nil
			} else if err != nil {
				return false, err
			}
			if rows, err = db.readSealedRows(ctx, `id IN (SELECT value FROM json_each(?))`, []any{jsonIDs(ids)}, len(ids)); err != nil {
				return false, err
			}
			rows = withGone(rows, ids)
			next = maxID
		default:
			return !left, nil
		}
		if err := db.openSealedRows(rows); err != nil {
			return false, err
		}
		if err := db.indexSealedRows(ctx, gen, rows, false); err != nil {
			if errors.Is(err, errStale) {
				return false, nil
			}
			return false, err
		}
		f.mu.Lock()
		if f.gen == gen {
			f.maxID, f.logSeq = max(f.maxID, next), max(f.logSeq, nextSeq)
		}
		f.mu.Unlock()
		maxID, seq = next, nextSeq
		opened += len(rows)
		left = newMax > maxID || (scanned && newSeq > seq)
	}
	if left {
		f.mu.Lock()
		if f.gen == gen && !f.working {
			f.startWorkerLocked(func(ctx context.Context) { db.catchUpSealedIndex(ctx, 0) })
		}
		f.mu.Unlock()
	}
	return !left, nil
}

// errPruned says changes an index had not applied were pruned from
// sealed_search_changes (migration 0020): it must be built again.
var errPruned = errors.New("db: sealed report changes were pruned before this index applied them")

// rebuildSealedIndex drops index gen and builds it again in the background;
// searches meanwhile say they are incomplete.
func (db *DB) rebuildSealedIndex(gen uint64) {
	f := &db.fts
	f.mu.Lock()
	if f.gen == gen {
		f.dropLocked()
	}
	f.mu.Unlock()
	db.StartSealedIndex()
}

// sealedChanges lists the reports changed after seq (up to newSeq, at most
// limit entries) and the seq reached. Rows are numbered without gaps and
// pruned oldest first, so a first row past seq+1 (or none where some are
// due) means rows after seq were pruned: errPruned.
func (db *DB) sealedChanges(ctx context.Context, seq, newSeq int64, limit int) ([]int64, int64, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT seq, report_id FROM sealed_search_changes WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?`,
		seq, newSeq, limit)
	if err != nil {
		return nil, 0, fmt.Errorf("db: sealed report changes: %w", err)
	}
	defer rows.Close()
	seen := map[int64]bool{}
	var ids []int64
	reached := seq
	for rows.Next() {
		var id int64
		if err := rows.Scan(&reached, &id); err != nil {
			return nil, 0, fmt.Errorf("db: sealed report changes: %w", err)
		}
		if len(seen) == 0 && reached > seq+1 {
			return nil, 0, errPruned
		}
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("db: sealed report changes: %w", err)
	}
	if len(ids) == 0 {
		return nil, 0, errPruned // rows up to newSeq were there, and are gone
	}
	return ids, reached, nil
}

// withGone adds an unsealed stand-in for each listed report that no longer
// exists, so that indexing removes it.
func withGone(rows []*sealedRow, ids []int64) []*sealedRow {
	found := make(map[int64]bool, len(rows))
	for _, r := range rows {
		found[r.id] = true
	}
	for _, id := range ids {
		if !found[id] {
			rows = append(rows, &sealedRow{id: id})
		}
	}
	return rows
}

// jsonIDs is a JSON array of ids, one bound value for json_each.
func jsonIDs(ids []int64) string {
	b := make([]byte, 0, 8*len(ids)+2)
	b = append(b, '[')
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
	}
	return string(append(b, ']'))
}
