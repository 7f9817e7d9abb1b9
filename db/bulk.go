package db

import (
	"context"
	"time"
)

// The primitives below let a package that writes rows in bulk (db/demo)
// keep the rules those rows have, inside DB.Update. Everything else such a
// package writes is plain SQL on the transaction.

// Now is the time the transaction started; every row it writes carries it.
func (tx *Tx) Now() time.Time { return tx.now }

// Audit appends a row to the hash-chained audit log.
func (tx *Tx) Audit(ctx context.Context, actor Actor, action, target, detail string) error {
	return tx.audit(ctx, actor, action, target, detail)
}

// AddAttachment stores an attachment of timeline entry messageID in clear,
// its bytes in chunks, as of at.
func (tx *Tx) AddAttachment(ctx context.Context, messageID int64, a *NewAttachment, at time.Time) error {
	return tx.addAttachment(ctx, messageID, a, formatTime(at), false, nil)
}

// ProgramsChanged drops the cached list of programs after programs were
// written with plain SQL.
func (db *DB) ProgramsChanged() { db.programsChanged() }

// FormatTime is how the database stores a time: UTC text that sorts.
func FormatTime(t time.Time) string { return formatTime(t) }
