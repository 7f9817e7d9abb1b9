package db

import (
	"context"
	"fmt"
	"strings"
)

// BulkLoad is the writer's setup for filling a database file that nobody
// else uses yet and that is thrown away if the fill fails (disclose demo
// into a new file, which it renames into place only once complete): no
// rollback journal on disk, no write-ahead log, no fsync, the file locked
// for this connection alone, and a large page cache. A million demo
// reports write about 5 GB; through the write-ahead log every page was
// written twice, and pages the 128 MiB cache could not hold (the search
// index's segments, read again by each merge) came back from the OS, a
// third of the time. Readers and the checkpointer are closed while it lasts
// (a connection in WAL mode keeps the file open in that mode) and any read
// fails.
//
// The rollback journal is kept in memory, not turned off: a failed
// statement or job still rolls back (pages a transaction appends to the
// file are not journaled at all, so it costs little). A crash leaves a
// damaged file; the caller removes it.
//
// Finish puts back the portal's settings (WAL, synchronous=NORMAL, normal
// locking, the old cache size, the readers); the caller then closes the
// database and makes the file durable (fsync) before using it.
type BulkLoad struct {
	db       *DB
	oldCache int64
}

// StartBulkLoad sets the writer up for a bulk load with a page cache of
// cacheKiB KiB. Call it before the load's first Update, and Finish after
// its last.
func (db *DB) StartBulkLoad(ctx context.Context, cacheKiB int) (*BulkLoad, error) {
	b := &BulkLoad{db: db}
	db.holdCheckpoints()
	if err := db.write.QueryRowContext(ctx, `PRAGMA cache_size`).Scan(&b.oldCache); err != nil {
		db.resumeCheckpoints()
		return nil, fmt.Errorf("db: bulk load: read cache size: %w", err)
	}
	// Idle readers hold the file open in WAL mode, which keeps the writer
	// from leaving it; none opens again until Finish (none is asked to).
	db.read.SetMaxIdleConns(0)
	for _, p := range []string{
		`PRAGMA journal_mode = MEMORY`,
		`PRAGMA synchronous = OFF`,
		`PRAGMA locking_mode = EXCLUSIVE`,
		// The file is new and holds only what the load writes: freed
		// pages (the search index's merged segments) need no zeroing,
		// which also kept each one in the transaction's journal.
		`PRAGMA secure_delete = OFF`,
		fmt.Sprintf(`PRAGMA cache_size = %d`, -cacheKiB),
	} {
		if err := b.pragma(ctx, p); err != nil {
			db.read.SetMaxIdleConns(8)
			db.resumeCheckpoints()
			return nil, err
		}
	}
	return b, nil
}

// Finish puts the portal's settings back.
func (b *BulkLoad) Finish(ctx context.Context) error {
	defer b.db.read.SetMaxIdleConns(8)
	defer b.db.resumeCheckpoints()
	for _, p := range []string{
		`PRAGMA locking_mode = NORMAL`,
		// The exclusive lock goes at the next access of the file; WAL
		// must be entered in normal locking mode, or it keeps the
		// wal-index in this process's memory and no reader could open.
		`SELECT count(*) FROM sqlite_schema`,
		`PRAGMA journal_mode = WAL`,
		`PRAGMA synchronous = NORMAL`,
		`PRAGMA secure_delete = ON`, // as dsn sets it
		fmt.Sprintf(`PRAGMA cache_size = %d`, b.oldCache),
	} {
		if err := b.pragma(ctx, p); err != nil {
			return err
		}
	}
	return nil
}

// pragma runs one setting on the writer connection, outside any
// transaction (the journal mode cannot change inside one), and checks
// that a journal or locking mode took.
func (b *BulkLoad) pragma(ctx context.Context, p string) error {
	rows, err := b.db.write.QueryContext(ctx, p)
	if err != nil {
		return fmt.Errorf("db: bulk load: %s: %w", p, err)
	}
	defer rows.Close()
	var got string
	if rows.Next() {
		if err := rows.Scan(&got); err != nil {
			return fmt.Errorf("db: bulk load: %s: %w", p, err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("db: bulk load: %s: %w", p, err)
	}
	if strings.Contains(p, "_mode = ") {
		want := strings.ToLower(p[strings.LastIndex(p, " ")+1:])
		if got != want {
			return fmt.Errorf("db: bulk load: %s: the mode is still %q", p, got)
		}
	}
	return nil
}
