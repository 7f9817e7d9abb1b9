package db

import "context"

// SealedIndexTempStore reads temp_store of the in-memory index; -1 when
// there is none.
func (db *DB) SealedIndexTempStore() int {
	db.fts.mu.Lock()
	defer db.fts.mu.Unlock()
	if db.fts.conn == nil {
		return -1
	}
	var n int
	if err := db.fts.conn.QueryRowContext(context.Background(), `PRAGMA temp_store`).Scan(&n); err != nil {
		return -2
	}
	return n
}

// SlowSealedIndexForTest makes the build of the in-memory index read chunk
// reports at a time and call after once each chunk is indexed (outside the
// index's lock, so searches run meanwhile). Call it before the build starts.
func (db *DB) SlowSealedIndexForTest(chunk int, after func()) {
	db.fts.mu.Lock()
	defer db.fts.mu.Unlock()
	db.fts.chunk, db.fts.afterChunk = chunk, after
}
