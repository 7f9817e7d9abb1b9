package db

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
)

// memFTS is the full-text index of sealed reports. Their plaintext must
// never reach the disk, so the on-disk reports_fts skips them (its triggers
// test sealed = 0) and this index lives in a private in-memory SQLite
// database instead, with temp_store=MEMORY so that sorting or a large
// result never spills to a temporary file either. It is built on the first
// search after the key is unlocked, catches up on sealed reports that
// arrived since (by id) at every search, is dropped as soon as a search
// finds the key locked again, and is thrown away whole when a sealed field
// is edited (edits are rare; a rebuild is cheap next to them).
type memFTS struct {
	mu     sync.Mutex
	conn   *sql.DB // nil: not built
	lastID int64   // highest sealed report id indexed
}

// memDSN is a private in-memory database: one connection, never shared.
const memDSN = "file::memory:?mode=memory&cache=private&_foreign_keys=off"

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
	for _, q := range []string{
		`PRAGMA temp_store = MEMORY`,
		`CREATE VIRTUAL TABLE sealed_fts USING fts5 (title, asset, description, steps, impact,
			program_id UNINDEXED, tokenize = 'porter unicode61')`,
	} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			conn.Close()
			return nil, fmt.Errorf("db: in-memory search index: %w", err)
		}
	}
	return conn, nil
}

// sealedIndex returns the in-memory index brought up to date, or nil while
// the key is locked or nothing could be opened (search then covers the
// unsealed reports only). The caller holds db.fts.mu.
func (db *DB) sealedIndex(ctx context.Context) (*sql.DB, error) {
	f := &db.fts
	if !db.Unlocked() {
		f.dropLocked()
		return nil, nil
	}
	if f.conn == nil {
		conn, err := openMemFTS(ctx)
		if err != nil {
			return nil, err
		}
		f.conn, f.lastID = conn, 0
	}
	rows, err := db.read.QueryContext(ctx, `SELECT id, program_id, title, asset, description, steps, impact
		FROM reports WHERE sealed = 1 AND id > ? ORDER BY id`, f.lastID)
	if err != nil {
		return nil, fmt.Errorf("db: read sealed reports: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, program int64
		var title, asset, desc, steps, impact string
		if err := rows.Scan(&id, &program, &title, &asset, &desc, &steps, &impact); err != nil {
			return nil, fmt.Errorf("db: read sealed reports: %w", err)
		}
		if db.openTexts(&title, &asset, &desc, &steps, &impact) {
			if _, err := f.conn.ExecContext(ctx, `INSERT INTO sealed_fts (rowid, title, asset, description, steps, impact, program_id)
				VALUES (?, ?, ?, ?, ?, ?, ?)`, id, title, asset, desc, steps, impact, program); err != nil {
				return nil, fmt.Errorf("db: index sealed report: %w", err)
			}
		}
		f.lastID = id
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("db: read sealed reports: %w", err)
	}
	return f.conn, nil
}

// dropLocked forgets the in-memory index; the caller holds f.mu.
func (f *memFTS) dropLocked() {
	if f.conn != nil {
		f.conn.Close()
		f.conn, f.lastID = nil, 0
	}
}

// DropSealedIndex forgets the in-memory index of sealed reports; the unlock
// page calls it when the key is locked again (a search would notice too).
func (db *DB) DropSealedIndex() {
	db.fts.mu.Lock()
	db.fts.dropLocked()
	db.fts.mu.Unlock()
}

// sealedMatches returns the ids of sealed reports matching an FTS5 query,
// best first; none while locked.
func (db *DB) sealedMatches(ctx context.Context, match string, limit int) ([]int64, error) {
	if match == "" || db.sealer == nil {
		return nil, nil
	}
	db.fts.mu.Lock()
	defer db.fts.mu.Unlock()
	conn, err := db.sealedIndex(ctx)
	if err != nil || conn == nil {
		return nil, err
	}
	rows, err := conn.QueryContext(ctx, `SELECT rowid FROM sealed_fts WHERE sealed_fts MATCH ? ORDER BY rank LIMIT ?`, match, limit)
	if err != nil {
		return nil, fmt.Errorf("db: search sealed reports: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("db: search sealed reports: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// similarSealed returns sealed reports of program whose text shares the
// telling words of title and body, best first.
func (db *DB) similarSealed(ctx context.Context, programID, exceptID int64, title, body string, limit int) ([]int64, error) {
	words := similarityWords(title, body)
	if len(words) == 0 || db.sealer == nil {
		return nil, nil
	}
	quoted := make([]string, len(words))
	for i, w := range words {
		quoted[i] = `"` + w + `"`
	}
	db.fts.mu.Lock()
	defer db.fts.mu.Unlock()
	conn, err := db.sealedIndex(ctx)
	if err != nil || conn == nil {
		return nil, err
	}
	rows, err := conn.QueryContext(ctx, `SELECT rowid FROM sealed_fts WHERE sealed_fts MATCH ? AND program_id = ? AND rowid <> ?
		ORDER BY bm25(sealed_fts, 3.0, 1.0, 1.0, 1.0, 1.0) LIMIT ?`, strings.Join(quoted, " OR "), programID, exceptID, limit)
	if err != nil {
		return nil, fmt.Errorf("db: similar sealed reports: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("db: similar sealed reports: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// sealedSearchLimit bounds the sealed matches a queue search combines with
// the on-disk index.
const sealedSearchLimit = 5000

// matchSealed fills f's sealed matches for its search words.
func (db *DB) matchSealed(ctx context.Context, f *QueueFilter) error {
	if f.Search == "" {
		return nil
	}
	ids, err := db.sealedMatches(ctx, ftsQuery(f.Search), sealedSearchLimit)
	f.sealedIDs = ids
	return err
}
