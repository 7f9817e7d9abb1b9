package db

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"
)

// maxWalkChunk bounds the candidates one round of a walk filters on disk.
const maxWalkChunk = 4096

// walkSealedQueue answers a search of a sealed database in the newest,
// oldest or relevance order. The matches come in that order from the
// in-memory index (and from the on-disk one, for reports that are not
// sealed), in growing chunks, and each chunk is filtered on disk until the
// page is full: like a search of a plain database, one page costs the
// matches it needs, not all of them, and every match is a candidate (a
// common word matching 100,000 reports included).
func (db *DB) walkSealedQueue(ctx context.Context, f QueueFilter, out *Queue) error {
	tx, err := db.beginRead(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	now := db.Now().UTC()
	if out.Counts, err = stateCounts(ctx, tx, f); err != nil {
		return err
	}
	match := scopedMatch(ftsQuery(f.Search), f) // queue_scope.go
	if match == "" {
		return tx.Commit() // a search of only punctuation matches nothing
	}
	w := &matchWalk{db: db, tx: tx, match: match, asc: f.Sort == SortOldest}
	if f.Sort == SortRelevance {
		if err := w.rankSealed(ctx); err != nil {
			return err
		}
	}
	skip := (f.Page - 1) * QueuePageSize
	need := skip + QueuePageSize + 1
	var rows []*QueueRow
	for n := 2 * QueuePageSize; len(rows) < need; n = min(4*n, maxWalkChunk) {
		ids, more, err := w.next(ctx, n)
		if err != nil {
			return err
		}
		if len(ids) > 0 {
			got, err := db.queueRowsIn(ctx, tx, f, now, ids)
			if err != nil {
				return err
			}
			rows = append(rows, got...)
		}
		if !more {
			break
		}
	}
	out.Sealed = w.coverage
	rows = rows[min(skip, len(rows)):]
	if len(rows) > QueuePageSize {
		rows, out.HasNext = rows[:QueuePageSize], true
	}
	db.openQueueTitles(rows)
	out.Rows = rows
	return tx.Commit()
}

// queueRowsIn returns the reports among ids that pass f's other filters, in
// the order of ids; their titles stay sealed (openQueueTitles opens the
// page's).
func (db *DB) queueRowsIn(ctx context.Context, tx *sql.Tx, f QueueFilter, now time.Time, ids []int64) ([]*QueueRow, error) {
	f.idsOnly, f.sealedIDs = true, ids
	from, where, args, _ := queueQuery(f, now)
	rows, err := tx.QueryContext(ctx, `SELECT `+queueColumns+` `+from+` JOIN programs p ON p.id = r.program_id LEFT JOIN users u ON u.id = r.assignee_id `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("db: read queue: %w", err)
	}
	got, err := scanQueueRows(rows, now)
	if err != nil {
		return nil, err
	}
	pos := make(map[int64]int, len(ids))
	for i, id := range ids {
		pos[id] = i
	}
	slices.SortFunc(got, func(a, b *QueueRow) int { return pos[a.ID] - pos[b.ID] })
	return got, nil
}

// matchWalk yields the ids matching a search in the queue's order: merged
// by id from the in-memory index of sealed reports and the on-disk index,
// or, by relevance, the sealed ones ranked by bm25 (the two indexes' scores
// do not compare, so with matches on disk too relevance falls back to
// newest).
type matchWalk struct {
	db       *DB
	tx       *sql.Tx
	match    string
	asc      bool
	ranked   []int64 // relevance: every sealed match, best first
	byRank   bool
	sealed   idStream
	disk     idStream
	coverage SealedCoverage
}

// idStream is one index's matches in id order, fetched in pieces.
type idStream struct {
	buf    []int64
	cursor int64 // the last id fetched; 0 before the first
	done   bool
}

// rankSealed prepares a walk by relevance when no unsealed report matches.
func (w *matchWalk) rankSealed(ctx context.Context) error {
	ids, err := w.diskAfter(ctx, 0, 1)
	if err != nil || len(ids) > 0 {
		return err
	}
	w.ranked, w.coverage, err = w.db.sealedMatches(ctx, w.match, -1)
	w.byRank = true
	return err
}

// next returns up to n more ids and whether there may be more.
func (w *matchWalk) next(ctx context.Context, n int) ([]int64, bool, error) {
	if w.byRank {
		k := min(n, len(w.ranked))
		ids := w.ranked[:k]
		w.ranked = w.ranked[k:]
		return ids, len(w.ranked) > 0, nil
	}
	if err := w.fill(ctx, &w.sealed, n, true); err != nil {
		return nil, false, err
	}
	if err := w.fill(ctx, &w.disk, n, false); err != nil {
		return nil, false, err
	}
	out := make([]int64, 0, n)
	for len(out) < n && (len(w.sealed.buf) > 0 || len(w.disk.buf) > 0) {
		s := &w.sealed
		if len(s.buf) == 0 || (len(w.disk.buf) > 0 && w.before(w.disk.buf[0], s.buf[0])) {
			s = &w.disk
		}
		out = append(out, s.buf[0])
		s.buf = s.buf[1:]
	}
	more := len(w.sealed.buf) > 0 || len(w.disk.buf) > 0 || !w.sealed.done || !w.disk.done
	return out, more, nil
}

// before says whether id a comes before id b in the walk's order.
func (w *matchWalk) before(a, b int64) bool {
	if w.asc {
		return a < b
	}
	return a > b
}

// fill fetches until s holds n ids or its index has no more.
func (w *matchWalk) fill(ctx context.Context, s *idStream, n int, sealed bool) error {
	if s.done || len(s.buf) >= n {
		return nil
	}
	want := n - len(s.buf)
	var ids []int64
	var err error
	if sealed {
		var cov SealedCoverage
		ids, cov, err = w.db.sealedMatchesBefore(ctx, w.match, s.cursor, w.asc, want)
		if cov != SealedCovered {
			w.coverage = cov
		}
	} else {
		ids, err = w.diskAfter(ctx, s.cursor, want)
	}
	if err != nil {
		return err
	}
	s.buf = append(s.buf, ids...)
	s.done = len(ids) < want
	if len(ids) > 0 {
		s.cursor = ids[len(ids)-1]
	}
	return nil
}

// diskAfter returns up to n ids of unsealed reports matching the search from
// the on-disk index, in the walk's order after cursor (0: from the start).
func (w *matchWalk) diskAfter(ctx context.Context, cursor int64, n int) ([]int64, error) {
	q := `SELECT rowid FROM reports_fts WHERE reports_fts MATCH ? AND rowid < ? ORDER BY rowid DESC LIMIT ?`
	if w.asc {
		q = `SELECT rowid FROM reports_fts WHERE reports_fts MATCH ? AND rowid > ? ORDER BY rowid ASC LIMIT ?`
	} else if cursor == 0 {
		cursor = 1 << 62
	}
	rows, err := w.tx.QueryContext(ctx, q, w.match, cursor, n)
	if err != nil {
		return nil, fmt.Errorf("db: search reports: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("db: search reports: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
