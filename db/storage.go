package db

import (
	"context"
	"errors"
	"fmt"

	"github.com/mattn/go-sqlite3"
)

// StorageProblem explains an SQLite error that the environment caused (full
// disk, permissions, a lock held by another process, a damaged file) in one
// line an operator can act on. ok is false for every other error: those are
// bugs or bad input, not something to fix on the machine.
func StorageProblem(err error) (message string, ok bool) {
	var se sqlite3.Error
	if !errors.As(err, &se) {
		return "", false
	}
	switch se.Code {
	case sqlite3.ErrFull:
		return "the disk holding the database is full (or a file size limit was reached): free space; nothing half-written was kept", true
	case sqlite3.ErrIoErr:
		return "the database file could not be written or read (disk full, file size limit or I/O error: " + se.Error() + ")", true
	case sqlite3.ErrBusy, sqlite3.ErrLocked:
		return "the database is locked by another process (a second disclose on the same data directory, or an sqlite3 shell with an open transaction)", true
	case sqlite3.ErrReadonly:
		return "the database is read-only for this process: check the owner and mode of the data directory and its files", true
	case sqlite3.ErrCantOpen, sqlite3.ErrPerm:
		return "the database file cannot be opened: check that the data directory exists and is readable and writable by the service user", true
	case sqlite3.ErrCorrupt, sqlite3.ErrNotADB:
		return "the database file is damaged: stop the portal and restore the last backup (disclose restore)", true
	}
	return "", false
}

// IntegrityCheck runs SQLite's integrity_check on the live database.
func (db *DB) IntegrityCheck(ctx context.Context) error {
	return integrityCheck(ctx, db.read)
}

func integrityCheck(ctx context.Context, q queryer) error {
	rows, err := q.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		return fmt.Errorf("integrity check: %w", err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return fmt.Errorf("integrity check: %w", err)
		}
		if line != "ok" {
			problems = append(problems, line)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("integrity check: %w", err)
	}
	if len(problems) > 0 {
		return fmt.Errorf("integrity check failed (%d problems): %s", len(problems), problems[0])
	}
	return nil
}

// ProbeWrite commits a tiny write, to learn whether a storage problem is
// over.
func (db *DB) ProbeWrite(ctx context.Context) error {
	return db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ('ops:probe', ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value`, formatTime(tx.now)); err != nil {
			return fmt.Errorf("db: probe write: %w", err)
		}
		return nil
	})
}
