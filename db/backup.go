package db

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
)

// BackupSealer encrypts a backup stream, e.g. to the team's OpenPGP key.
// db declares it and the key package implements it, so db stays a leaf.
type BackupSealer interface {
	// SealTo returns a writer that writes the sealed form of what it is
	// given to dst; Close finishes the sealed message.
	SealTo(dst io.Writer) (io.WriteCloser, error)
}

// sqliteHeader starts every SQLite database file; a backup without it is
// sealed (or not a database at all).
var sqliteHeader = []byte("SQLite format 3\x00")

// Backup writes a consistent copy of the live database to path while the
// portal keeps serving. VACUUM INTO reads one snapshot, so writers carry
// on; the copy is written under a temporary name and renamed only when
// complete, so a crash never leaves a half backup under the final name;
// path must not exist yet. With a sealer the file is encrypted, and no
// plaintext is ever written beside it (backupSealed).
func (db *DB) Backup(ctx context.Context, path string, sealer BackupSealer) error {
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("db: backup: %s exists already; choose a new file name", path)
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("db: backup: %w", err)
	}
	tmpName := tmp.Name()
	defer os.Remove(tmpName)
	if sealer != nil {
		err = db.backupSealed(ctx, tmp, sealer)
	} else {
		// The empty file CreateTemp made (mode 0600) is kept: VACUUM INTO
		// accepts an empty file and keeps its mode, where a file it creates
		// itself would be 0644 - a copy of every report readable by anyone.
		tmp.Close()
		err = db.vacuumInto(ctx, tmpName)
	}
	if err != nil {
		return fmt.Errorf("db: backup into %s: %w", path, err)
	}
	if err := syncFile(tmpName); err != nil {
		return err
	}
	if err := os.Link(tmpName, path); err != nil { // fails if path appeared meanwhile
		return fmt.Errorf("db: backup: %w", err)
	}
	return syncDir(dir)
}

// vacuumInto writes a copy of the database into the empty file name.
func (db *DB) vacuumInto(ctx context.Context, name string) error {
	// A connection of its own: the reader pool is query_only (which refuses
	// VACUUM INTO) and the write connection must stay free for intake.
	// VACUUM INTO reads one snapshot, so writers carry on meanwhile.
	src, err := sql.Open("sqlite3", dsn(db.Path, false))
	if err != nil {
		return err
	}
	defer src.Close()
	_, err = src.ExecContext(ctx, `VACUUM INTO ?`, name)
	return err
}

func syncFile(name string) error {
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("db: sync %s: %w", name, err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("db: sync %s: %w", name, err)
	}
	return f.Close()
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("db: sync %s: %w", dir, err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("db: sync %s: %w", dir, err)
	}
	return nil
}

// BackupInfo is what VerifyBackup found in a backup file.
type BackupInfo struct {
	Migrations  []string // applied, in order
	Unknown     []string // applied migrations this binary does not know (a newer version made the backup)
	Missing     []string // migrations this binary will apply on first start
	Reports     int
	Messages    int
	Attachments int
	AuditRows   int
	// NeedsLocalKey: the database was made with a local key file
	// (localkey.go), which backups do not hold; restoring it needs that file.
	NeedsLocalKey bool
	localKeyCheck string
}

// ErrSealedBackup says a backup file is encrypted; it must be decrypted with
// the team key before it can be verified or restored.
var ErrSealedBackup = errors.New("the backup is encrypted (not an SQLite file): decrypt it with the team key first")

// VerifyBackup checks a backup file without changing it: SQLite's
// integrity_check, the migrations table, the audit hash chain and row counts.
func VerifyBackup(ctx context.Context, path string) (*BackupInfo, error) {
	if err := checkHeader(path); err != nil {
		return nil, err
	}
	// immutable=1: read the file as is, create no -wal or -shm beside it.
	ro, err := sql.Open("sqlite3", "file:"+(&url.URL{Path: path}).EscapedPath()+"?mode=ro&immutable=1")
	if err != nil {
		return nil, fmt.Errorf("db: open backup: %w", err)
	}
	defer ro.Close()
	if err := integrityCheck(ctx, ro); err != nil {
		return nil, fmt.Errorf("db: %s: %w", path, err)
	}
	info := &BackupInfo{}
	if err := info.readMigrations(ctx, ro); err != nil {
		return nil, err
	}
	for _, c := range []struct {
		table string
		n     *int
	}{{"reports", &info.Reports}, {"messages", &info.Messages}, {"attachments", &info.Attachments}, {"audit", &info.AuditRows}} {
		if err := ro.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+c.table).Scan(c.n); err != nil {
			return nil, fmt.Errorf("db: count %s in backup: %w", c.table, err)
		}
	}
	err = ro.QueryRowContext(ctx, `SELECT CAST(value AS TEXT) FROM settings WHERE key = ?`, localKeyCheckSetting).Scan(&info.localKeyCheck)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("db: read the backup's local key check: %w", err)
	}
	info.NeedsLocalKey = info.localKeyCheck != ""
	if bad, err := (&DB{read: ro}).VerifyAudit(ctx); err != nil {
		return nil, err
	} else if bad != 0 {
		return nil, fmt.Errorf("db: the audit chain in %s is broken at row %d", path, bad)
	}
	return info, nil
}

func (info *BackupInfo) readMigrations(ctx context.Context, ro *sql.DB) error {
	rows, err := ro.QueryContext(ctx, `SELECT name FROM migrations ORDER BY name`)
	if err != nil {
		return fmt.Errorf("db: the backup has no migrations table (not a disclose database?): %w", err)
	}
	defer rows.Close()
	have := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return fmt.Errorf("db: read migrations: %w", err)
		}
		info.Migrations = append(info.Migrations, name)
		have[name] = true
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("db: read migrations: %w", err)
	}
	known, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("db: list migrations: %w", err)
	}
	sort.Strings(known)
	if len(known) > 0 && !have[known[0]] {
		return fmt.Errorf("db: the backup lacks the first migration %s (not a disclose database?)", known[0])
	}
	knownSet := map[string]bool{}
	for _, k := range known {
		knownSet[k] = true
		if !have[k] {
			info.Missing = append(info.Missing, k)
		}
	}
	for _, m := range info.Migrations {
		if !knownSet[m] {
			info.Unknown = append(info.Unknown, m)
		}
	}
	return nil
}

func checkHeader(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("db: open backup: %w", err)
	}
	defer f.Close()
	head := make([]byte, len(sqliteHeader))
	if _, err := io.ReadFull(f, head); err != nil || !bytes.Equal(head, sqliteHeader) {
		return ErrSealedBackup
	}
	return nil
}
