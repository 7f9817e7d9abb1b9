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
