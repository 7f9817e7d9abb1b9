package db

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
)

// Secret returns the named random key, creating it on first use. Keys live
// in the database so that a backup restores sessions and signed cookies.
func (db *DB) Secret(ctx context.Context, name string, size int) ([]byte, error) {
	var v []byte
	err := db.read.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, "secret:"+name).Scan(&v)
	if err == nil {
		return v, nil
	} else if !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("db: read secret %s: %w", name, err)
	}
	v = make([]byte, size)
	if _, err := rand.Read(v); err != nil {
		return nil, fmt.Errorf("db: secret randomness: %w", err)
	}
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`, "secret:"+name, v); err != nil {
		return nil, fmt.Errorf("db: store secret %s: %w", name, err)
	}
	if err := tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, "secret:"+name).Scan(&v); err != nil {
		return nil, fmt.Errorf("db: read secret %s: %w", name, err)
	}
	return v, tx.Commit()
}
