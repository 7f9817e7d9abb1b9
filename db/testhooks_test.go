package db

import (
	"context"
	"database/sql"
)

// SetStateForTest moves a report as a triager would; the triage branch owns
// the public method.
func (db *DB) SetStateForTest(ctx context.Context, reportID int64, from, to State) error {
	return db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		var ref string
		if err := tx.QueryRowContext(ctx, `SELECT p.prefix || '-' || r.number FROM reports r JOIN programs p ON p.id = r.program_id WHERE r.id = ?`, reportID).Scan(&ref); err != nil {
			return err
		}
		return tx.setState(ctx, reportID, ref, from, to, ActorSystem, "test")
	})
}

// QueryRowForTest reads from the database as a test sees it after commits.
func (db *DB) QueryRowForTest(ctx context.Context, query string, args ...any) *sql.Row {
	return db.read.QueryRowContext(ctx, query, args...)
}

// SetSearchLeadForTest with "index" leaves a search's scope out of its
// full-text query (the SQL's filter alone); "" puts it back.
func SetSearchLeadForTest(lead string) { searchLeadForTest = lead }

// SetCommonWordForTest sets how many reports make a word common (relevance
// ranked title first) and returns the old value.
func SetCommonWordForTest(n int) int { old := commonWord; commonWord = n; return old }
