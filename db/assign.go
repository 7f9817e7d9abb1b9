package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Assign gives a report to a staff user who may work on it (assigneeID 0
// unassigns). Assignments are internal: the reporter is not told.
func (db *DB) Assign(ctx context.Context, reportID, version int64, actor Actor, assigneeID int64) error {
	return db.updateReport(ctx, reportID, version, func(ctx context.Context, tx *Tx, r *Report) error {
		var assignee any
		body := "Unassigned."
		detail := "assignee=none"
		if assigneeID != 0 {
			var name, email string
			err := tx.QueryRowContext(ctx, `SELECT u.name, u.email FROM users u WHERE u.id = ? AND u.disabled = 0
				AND (u.role = 'admin' OR EXISTS (SELECT 1 FROM program_access a WHERE a.user_id = u.id AND a.program_id = ? AND a.role IN ('admin', 'triager')))`,
				assigneeID, r.ProgramID).Scan(&name, &email)
			if errors.Is(err, sql.ErrNoRows) {
				return Invalid(FieldErrors{"assignee": "Choose a triager of this program or an admin."})
			} else if err != nil {
				return fmt.Errorf("db: find assignee: %w", err)
			}
			if name == "" {
				name = email
			}
			assignee, body, detail = assigneeID, "Assigned to "+name+".", fmt.Sprintf("assignee=%d", assigneeID)
		}
		if err := tx.touch(ctx, reportID, `assignee_id = ?`, assignee); err != nil {
			return err
		}
		if _, err := tx.addMessage(ctx, &NewMessage{ReportID: reportID, Kind: KindEvent, AuthorID: actor.UserID, Event: "assign", Body: body}); err != nil {
			return err
		}
		return tx.audit(ctx, actor, "report.assign", r.Ref(), detail)
	})
}

// Assignees lists the users a report of the program may be assigned to:
// its triagers and admins (directly or through an organisation) and every
// site admin, enabled ones only.
func (db *DB) Assignees(ctx context.Context, programID int64) ([]*User, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT u.id, u.email, u.name, u.role FROM users u WHERE u.disabled = 0
		AND (u.role = 'admin' OR EXISTS (SELECT 1 FROM program_access a WHERE a.user_id = u.id AND a.program_id = ? AND a.role IN ('admin', 'triager')))
		ORDER BY COALESCE(NULLIF(u.name, ''), u.email)`, programID)
	if err != nil {
		return nil, fmt.Errorf("db: list assignees: %w", err)
	}
	defer rows.Close()
	var out []*User
	for rows.Next() {
		u := &User{}
		if err := rows.Scan(&u.ID, &u.Email, &u.Name, &u.Role); err != nil {
			return nil, fmt.Errorf("db: scan assignee: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}
