package db

import "context"

// ExecForTest changes the database behind the API's back, to make the rows
// an older version left (mail_trust_test.go).
func (db *DB) ExecForTest(ctx context.Context, query string, args ...any) error {
	_, err := db.write.ExecContext(ctx, query, args...)
	return err
}
