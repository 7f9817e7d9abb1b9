package db

import "context"

// BeginTx (transitional, until every method is on Update) starts a write
// transaction outside the writer.
func (db *DB) BeginTx(ctx context.Context) (*Tx, error) { return db.begin(ctx) }

// Commit (transitional) indexes new reports and commits.
func (tx *Tx) Commit() error {
	if err := tx.indexNewReports(context.Background()); err != nil {
		return err
	}
	return tx.Tx.Commit()
}
