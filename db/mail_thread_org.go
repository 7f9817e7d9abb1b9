package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// ReportOrg is the organisation of report id.
func (tx *Tx) ReportOrg(ctx context.Context, id int64) (int64, error) {
	var org int64
	err := tx.QueryRowContext(ctx, `SELECT p.org_id FROM reports r JOIN programs p ON p.id = r.program_id WHERE r.id = ?`, id).Scan(&org)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, Errorf(ENOTFOUND, "Report not found.")
	} else if err != nil {
		return 0, fmt.Errorf("db: organisation of report %d: %w", id, err)
	}
	return org, nil
}
