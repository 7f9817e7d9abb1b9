package db

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Reviewed is an account as the account review shows it.
type Reviewed struct {
	*User
	CreatedAt time.Time
	// ActiveAt is when the account last showed life: the latest of its
	// creation, its last sign-in and the last time an admin enabled it.
	ActiveAt time.Time
	// Inactive flags an enabled account with no life for longer than
	// AuthPolicy.InactiveAfter.
	Inactive bool
}

// ReviewResult is what DisableInactive did.
type ReviewResult struct {
	Disabled []*Reviewed
	// Kept are inactive accounts left enabled: the last enabled admin is
	// never disabled by the review, or nobody could sign in to undo it.
	Kept []*Reviewed
}

// ReviewAccounts lists every staff account (by email, with memberships) and
// flags those inactive longer than AuthPolicy.InactiveAfter at now.
func (db *DB) ReviewAccounts(ctx context.Context) ([]*Reviewed, error) {
	rtx, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer rtx.Rollback()
	return reviewAccounts(ctx, rtx, db.Now().UTC(), db.Auth.InactiveAfter)
}

func reviewAccounts(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, now time.Time, after time.Duration) ([]*Reviewed, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+userColumns+`, u.created_at, COALESCE(u.enabled_at, '') FROM users u ORDER BY u.email`)
	if err != nil {
		return nil, fmt.Errorf("db: list users for review: %w", err)
	}
	defer rows.Close()
	var out []*Reviewed
	for rows.Next() {
		var created, enabled string
		u, err := scanUser(extraScan{rows, []any{&created, &enabled}})
		if err != nil {
			return nil, fmt.Errorf("db: scan user for review: %w", err)
		}
		r := &Reviewed{User: u, CreatedAt: parseTime(created)}
		r.ActiveAt = r.CreatedAt
		for _, t := range []time.Time{u.LastLoginAt, parseTime(enabled)} {
			if t.After(r.ActiveAt) {
				r.ActiveAt = t
			}
		}
		r.Inactive = !u.Disabled && after > 0 && now.Sub(r.ActiveAt) > after
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	all, err := loadAccess(ctx, q, 0) // programs and organisations of every account
	if err != nil {
		return nil, err
	}
	for _, r := range out {
		r.User.setAccess(all[r.ID])
	}
	return out, nil
}

// DisableInactive disables every account the review flags, ending its
// sessions at once; each is audited with the time it was last active. The
// last enabled admin is kept (ReviewResult.Kept).
func (db *DB) DisableInactive(ctx context.Context, actor Actor) (*ReviewResult, error) {
	var res *ReviewResult
	err := db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		res = &ReviewResult{}
		list, err := reviewAccounts(ctx, tx, tx.now, db.Auth.InactiveAfter)
		if err != nil {
			return err
		}
		admins := 0
		for _, r := range list {
			if r.Role == RoleAdmin && !r.Disabled {
				admins++
			}
		}
		for _, r := range list {
			if !r.Inactive {
				continue
			}
			if r.Role == RoleAdmin {
				if admins == 1 {
					res.Kept = append(res.Kept, r)
					continue
				}
				admins--
			}
			detail := fmt.Sprintf("inactive since %s (more than %s)", formatTime(r.ActiveAt), db.Auth.InactiveAfter)
			if err := tx.disableUser(ctx, r.User, actor, detail); err != nil {
				return err
			}
			r.Disabled, r.Inactive = true, false
			res.Disabled = append(res.Disabled, r)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}
