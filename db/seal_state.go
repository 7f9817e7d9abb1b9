package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// Sealing is a property of the database, not of one command: a settings row
// says the database is sealed, and every process that writes to it must seal
// (SetSealer with seal true) whatever flag it was started with. serve --seal
// (MarkSealed) and disclose seal (SealExisting) write the row; disclose
// unseal removes it once every row is plaintext again. A process that
// writes without sealing is refused at its first write transaction, even
// when another process sealed the database after this one opened it.

// sealedSetting is the settings row of a sealed database.
const sealedSetting = "sealed"

// ErrSealedDatabase is the refusal of a write by a process that does not
// seal to a database that is sealed.
var ErrSealedDatabase = errors.New("db: the database is sealed but this process does not seal: " +
	"it needs the team key (its public part suffices) to write; start it again with the team key in the data directory")

// readSealed reads whether the database says it is sealed.
func (db *DB) readSealed(ctx context.Context) error {
	var n int
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM settings WHERE key = ?`, sealedSetting).Scan(&n); err != nil {
		return fmt.Errorf("db: read sealing state: %w", err)
	}
	db.sealedDB.Store(n > 0)
	return nil
}

// SealedDatabase reports whether the database says it is sealed: then new
// rows must be sealed, whatever the process was told.
func (db *DB) SealedDatabase() bool { return db.sealedDB.Load() }

// sealGuard refuses a write transaction of a process that does not seal
// when the database is sealed. A process that does not seal looks at the
// setting in each write transaction (a primary-key lookup of a tiny table),
// so that a long-running mailin started before serve --seal cannot go on
// writing plaintext beside it.
func (tx *Tx) sealGuard(ctx context.Context) error {
	if tx.db.sealOn || tx.db.plainWrites.Load() {
		return nil
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM settings WHERE key = ?`, sealedSetting).Scan(&n); err != nil {
		return fmt.Errorf("db: read sealing state: %w", err)
	}
	tx.db.sealedDB.Store(n > 0)
	if n > 0 {
		return ErrSealedDatabase
	}
	return nil
}

// PlainRows counts, per table, the rows that hold plaintext in a sealed
// column. A sealed database holds none; the portal refuses to start on one
// that does (disclose seal converts them).
type PlainRows struct {
	Reports, Reporters, Messages, Attachments, RawMail, Outbox, KeyCandidates int64
	Incidents                                                                 int64 // incidents and copies of sent notifications
}

// Total is the number of plaintext rows.
func (p PlainRows) Total() int64 {
	return p.Reports + p.Reporters + p.Messages + p.Attachments + p.RawMail + p.Outbox + p.KeyCandidates + p.Incidents
}

// String names the tables that hold plaintext rows, for an operator.
func (p PlainRows) String() string {
	var parts []string
	for _, c := range []struct {
		name string
		n    int64
	}{{"reports", p.Reports}, {"reporters", p.Reporters}, {"timeline entries", p.Messages}, {"attachments", p.Attachments},
		{"raw mails", p.RawMail}, {"outgoing mails", p.Outbox}, {"mailed keys", p.KeyCandidates}, {"incident texts", p.Incidents}} {
		if c.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c.n, c.name))
		}
	}
	return strings.Join(parts, ", ")
}

// PlainRows counts the rows holding plaintext in a sealed column (a row
// with a clear note and clear text counts twice). Anonymised reports (their
// text is gone) and empty values do not count. Each WHERE clause is that of
// a partial index of migration 0013 or 0020, so in a sealed database the
// count reads empty indexes.
func (db *DB) PlainRows(ctx context.Context) (PlainRows, error) {
	var p PlainRows
	err := db.read.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM reports WHERE sealed = 0 AND anonymised_at IS NULL),
		(SELECT COUNT(*) FROM reporters WHERE sealed = 0 AND (name <> '' OR email <> '' OR pgp_key <> '')),
		(SELECT COUNT(*) FROM messages WHERE sealed = 0 AND body <> '') + (SELECT COUNT(*) FROM messages WHERE pgp_note <> '' AND pgp_note_sealed = 0),
		(SELECT COUNT(*) FROM attachments WHERE sealed = 0),
		(SELECT COUNT(*) FROM mail_raw WHERE sealed = 0) + (SELECT COUNT(*) FROM mail_raw WHERE note <> '' AND note_sealed = 0),
		(SELECT COUNT(*) FROM outbox WHERE sealed = 0 AND report_id IS NOT NULL),
		(SELECT COUNT(*) FROM pgp_key_candidates WHERE sealed = 0),
		(SELECT COUNT(*) FROM incidents WHERE sealed = 0) + (SELECT COUNT(*) FROM incident_obligations WHERE sealed = 0 AND sent_copy <> '')`).Scan(
		&p.Reports, &p.Reporters, &p.Messages, &p.Attachments, &p.RawMail, &p.Outbox, &p.KeyCandidates, &p.Incidents)
	if err != nil {
		return p, fmt.Errorf("db: count plaintext rows: %w", err)
	}
	return p, nil
}

// MarkSealed records that the database is sealed (serve --seal on a
// database not sealed yet). It needs SetSealer with seal true first, and
// refuses with ECONFLICT while plaintext rows exist: sealing new rows beside
// them would leave the operator believing the rest sealed.
func (db *DB) MarkSealed(ctx context.Context) error {
	if !db.sealOn {
		return errors.New("db: mark sealed: sealing is not on (SetSealer)")
	}
	p, err := db.PlainRows(ctx)
	if err != nil {
		return err
	}
	if p.Total() > 0 {
		return Errorf(ECONFLICT, "The database holds plaintext rows (%s): seal them first with disclose seal.", p)
	}
	return db.setSealed(ctx, true)
}

// setSealed writes or removes the setting.
func (db *DB) setSealed(ctx context.Context, on bool) error {
	err := db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		var err error
		if on {
			_, err = tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, '1') ON CONFLICT (key) DO NOTHING`, sealedSetting)
		} else {
			_, err = tx.ExecContext(ctx, `DELETE FROM settings WHERE key = ?`, sealedSetting)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("db: record sealing state: %w", err)
	}
	db.sealedDB.Store(on)
	return nil
}

// IsSealedFile reports whether the database file at path is sealed, without
// migrating it (restore looks at what it restored): the setting, or for a
// file older than migration 0013, any sealed row.
func IsSealedFile(ctx context.Context, path string) (bool, error) {
	conn, err := sql.Open("sqlite3", dsn(path, true))
	if err != nil {
		return false, fmt.Errorf("db: open %s: %w", path, err)
	}
	defer conn.Close()
	var sealed bool
	err = conn.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM settings WHERE key = ?)
		OR EXISTS (SELECT 1 FROM reports WHERE sealed = 1) OR EXISTS (SELECT 1 FROM messages WHERE sealed = 1)
		OR EXISTS (SELECT 1 FROM mail_raw WHERE sealed = 1)`, sealedSetting).Scan(&sealed)
	if err != nil {
		return false, fmt.Errorf("db: read sealing state of %s: %w", path, err)
	}
	return sealed, nil
}
