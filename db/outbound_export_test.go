package db

import (
	"context"
	"fmt"
)

// The helpers below stand in, in tests, for the staff actions other parts
// build (triage replies and state changes, user administration): they go
// through the same transaction helpers, so the mail they cause is real.

// AddStaffForTest adds an active staff user, a member of programID when it
// is not 0.
func (db *DB) AddStaffForTest(ctx context.Context, email, name string, role Role, programID int64) (int64, error) {
	var id int64
	err := db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO users (email, name, role, created_at) VALUES (?, ?, ?, ?)`, email, name, string(role), formatTime(tx.now))
		if err != nil {
			return err
		}
		if id, err = res.LastInsertId(); err != nil {
			return err
		}
		if programID != 0 {
			_, err = tx.ExecContext(ctx, `INSERT INTO program_members (program_id, user_id) VALUES (?, ?)`, programID, id)
		}
		return err
	})
	return id, err
}

// ReplyForTest adds a public staff reply with files and notifies, as the
// triage reply action does.
func (db *DB) ReplyForTest(ctx context.Context, reportID int64, body string, files []NewAttachment, actor Actor) error {
	return db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		id, err := tx.addMessage(ctx, &NewMessage{ReportID: reportID, Kind: KindReply, Public: true, AuthorID: actor.UserID, Body: body, Attachments: files})
		if err != nil {
			return err
		}
		return tx.recordEvent(ctx, EventReply, reportID, id, actor, "", "", 0)
	})
}

// MoveForTest moves a report as the triage state action does.
func (db *DB) MoveForTest(ctx context.Context, reportID int64, to State, reason string, actor Actor) error {
	return db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		r, err := tx.reportTx(ctx, reportID)
		if err != nil {
			return err
		}
		if to.Closed() {
			if _, err := tx.ExecContext(ctx, `UPDATE reports SET close_reason = ? WHERE id = ?`, reason, reportID); err != nil {
				return err
			}
		}
		return tx.setState(ctx, reportID, r.Ref(), r.State, to, actor, reason)
	})
}

// SealForTest marks a report sealed, as sealed mode does at intake.
func (db *DB) SealForTest(ctx context.Context, reportID int64) error {
	return db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE reports SET sealed = 1 WHERE id = ?`, reportID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("no report %d", reportID)
		}
		return nil
	})
}

// reportTx reads a report inside a write transaction (the write connection
// is held by tx, so the reader pool would not see uncommitted rows).
func (tx *Tx) reportTx(ctx context.Context, id int64) (*Report, error) {
	r, err := scanReport(tx.QueryRowContext(ctx, `SELECT `+reportColumns+reportFrom+` WHERE r.id = ?`, id))
	if err != nil {
		return nil, fmt.Errorf("db: read report %d: %w", id, err)
	}
	tx.db.openReport(r)
	return r, nil
}
