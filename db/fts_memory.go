package db

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"
)

// memFTS is the full-text index of sealed reports. Their plaintext must
// never reach the disk, so the on-disk reports_fts skips them (its triggers
// test sealed = 0) and this index lives in a private in-memory SQLite
// database instead, with temp_store=MEMORY so that sorting or a large result
// never spills to a temporary file either. It is contentless: it keeps the
// words' positions, not the text.
//
// It is built in the background once the key is unlocked (StartSealedIndex,
// fts_memory_build.go); searches meanwhile answer from what is indexed so
// far and say that they are incomplete (fts_memory_search.go). Every search
// first catches up with reports that arrived since (by id, which only
// grows) and with changes the triggers of migration 0018 listed (edits,
// deletions, retention), whichever process made them
// (fts_memory_catchup.go). Locking drops the index at once and stops a
// build.
type memFTS struct {
	mu   sync.Mutex // guards the fields below and every use of conn
	conn *sql.DB    // nil: no index (locked, or not started)
	gen  uint64     // changes at every drop: a worker of an older index discards its work

	// What the index holds: every sealed report with id <= maxID (once
	// scanned) and every change listed up to logSeq.
	maxID   int64
	logSeq  int64
	scanned bool // the initial scan finished; changes are applied only after it

	// Progress of the initial scan, shown to admins.
	done, total, unreadable int64
	started, finished       time.Time
	err                     error
	ended                   chan struct{} // closed when the scan ends (ready, failed or dropped)

	working bool               // a background worker (build or catch-up) runs for this index
	cancel  context.CancelFunc // stops it
	workers sync.WaitGroup     // every worker, of this index or a dropped one

	catchMu sync.Mutex // one catch-up at a time

	// Tests set these before the build starts: the reports one read takes
	// (0: scanChunk), and a call after each chunk the scan indexed.
	chunk      int
	afterChunk func()
}

// SealedIndexState says where the in-memory index of sealed reports is.
type SealedIndexState string

// The states of the index.
const (
	SealedIndexOff      SealedIndexState = "off"      // no team key, or locked
	SealedIndexBuilding SealedIndexState = "building" // the first scan runs; searches are incomplete
	SealedIndexReady    SealedIndexState = "ready"
	SealedIndexFailed   SealedIndexState = "failed" // the scan stopped on an error; searches are incomplete
)

// SealedIndexStatus is what admins see of the index: the key page and a
// banner on the queue while it is built.
type SealedIndexStatus struct {
	State SealedIndexState
	// Done of Total reports (the reports there were when the build started)
	// have been gone through.
	Done, Total int64
	// Unreadable counts sealed reports that did not open with the team key
	// (damaged, or sealed to another key); they cannot be found by search.
	Unreadable int64
	Took       time.Duration // the scan's duration once ready
	Bytes      int64         // the index's size in memory (its database pages)
	Err        string        // why the scan stopped (State failed)
}

// memDSN is a private in-memory database: one connection, never shared.
const memDSN = "file::memory:?mode=memory&cache=private&_foreign_keys=off"

// memSchema is the index. Contentless with deletes (an edit or a purge
// replaces or removes a report's row), and the program kept beside it for
// duplicate suggestions, which stay within one program. Like the on-disk
// index (migration 0034) it holds the program's token in scope, so that a
// search within a few programs intersects lists (queue_scope.go); relevance
// (memRank) weighs the text only.
const memSchema = `CREATE VIRTUAL TABLE sealed_fts USING fts5 (title, asset, description, steps, impact,
	program_id UNINDEXED, scope, content = '', contentless_delete = 1, contentless_unindexed = 1, tokenize = 'porter unicode61')`

// memRank is the in-memory index's relevance: bm25 of the text columns.
const memRank = `INSERT INTO sealed_fts (sealed_fts, rank) VALUES ('rank', 'bm25(1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0)')`

func openMemFTS(ctx context.Context) (*sql.DB, error) {
	conn, err := sql.Open("sqlite3", memDSN)
	if err != nil {
		return nil, err
	}
	// One connection for the pool's life: a second one would be another,
	// empty, database.
	conn.SetMaxOpenConns(1)
	conn.SetMaxIdleConns(1)
	conn.SetConnMaxLifetime(0)
	conn.SetConnMaxIdleTime(0)
	for _, q := range []string{`PRAGMA temp_store = MEMORY`, memSchema, memRank} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			conn.Close()
			return nil, fmt.Errorf("db: in-memory search index: %w", err)
		}
	}
	return conn, nil
}

// SealedIndex reports the state of the in-memory index of sealed reports.
func (db *DB) SealedIndex() SealedIndexStatus {
	f := &db.fts
	f.mu.Lock()
	defer f.mu.Unlock()
	st := SealedIndexStatus{State: SealedIndexOff, Done: f.done, Total: f.total, Unreadable: f.unreadable}
	switch {
	case f.err != nil:
		st.State, st.Err = SealedIndexFailed, f.err.Error()
	case f.conn == nil:
		st.Done, st.Total, st.Unreadable = 0, 0, 0
	case !f.scanned:
		st.State = SealedIndexBuilding
	default:
		st.State, st.Took = SealedIndexReady, f.finished.Sub(f.started)
	}
	if f.conn != nil {
		var pages, size int64
		if f.conn.QueryRow(`PRAGMA page_count`).Scan(&pages) == nil && f.conn.QueryRow(`PRAGMA page_size`).Scan(&size) == nil {
			st.Bytes = pages * size
		}
	}
	return st
}

// DropSealedIndex forgets the in-memory index of sealed reports at once and
// stops its build; the unlock page calls it when the key is locked again (a
// search would notice too). The worker, if any, discards what it holds.
func (db *DB) DropSealedIndex() {
	f := &db.fts
	f.mu.Lock()
	f.dropLocked()
	f.mu.Unlock()
}

// dropLocked forgets the index; the caller holds f.mu.
func (f *memFTS) dropLocked() {
	if f.cancel != nil {
		f.cancel()
	}
	if f.conn != nil {
		f.conn.Close()
	}
	f.conn, f.gen, f.working, f.cancel = nil, f.gen+1, false, nil
	f.endScanLocked()
	f.maxID, f.logSeq, f.scanned = 0, 0, false
	f.done, f.total, f.unreadable, f.err = 0, 0, 0, nil
}

// endScanLocked wakes those waiting for the scan; the caller holds f.mu.
func (f *memFTS) endScanLocked() {
	if f.ended != nil {
		close(f.ended)
		f.ended = nil
	}
}

// WaitSealedIndex starts the build if there is none and waits until the
// first scan has ended (ready, failed, or dropped by a lock) or ctx ends.
// The load run times the build with it; tests wait on it instead of
// sleeping.
func (db *DB) WaitSealedIndex(ctx context.Context) (SealedIndexStatus, error) {
	db.StartSealedIndex()
	db.fts.mu.Lock()
	ended := db.fts.ended
	db.fts.mu.Unlock()
	if ended != nil {
		select {
		case <-ended:
		case <-ctx.Done():
			return db.SealedIndex(), ctx.Err()
		}
	}
	return db.SealedIndex(), nil
}

// stopSealedIndex drops the index and waits for its workers to end, so
// that none uses the database after Close.
func (db *DB) stopSealedIndex() {
	db.DropSealedIndex()
	db.fts.workers.Wait()
}
