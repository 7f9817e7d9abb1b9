package db

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// AuditFilter narrows the audit listing; empty fields match everything.
// Pages go backwards from the newest row: Before is the smallest id of the
// previous page.
type AuditFilter struct {
	Actor  string // substring of the actor's email or name
	Action string // prefix, like "login" or "user."
	Target string // substring
	From   time.Time
	To     time.Time // exclusive
	Before int64
	Limit  int
	// Org, when set, lists only the rows filed under that organisation
	// (its own and its children's: auditScope), newest first from the
	// audit_orgs key rather than the whole log.
	Org int64
}

// AuditPage is one page of the audit log, newest first.
type AuditPage struct {
	Entries []*AuditEntry
	// Next is the Before of the following (older) page, 0 on the last.
	Next int64
	// Window says the page stopped at the substring window
	// (auditSearchWindow): Entries may be fewer than a page, and Next
	// continues with the older rows.
	Window bool
}

// auditSearchWindow is how many rows one page of a substring search
// (actor or target) reads at most: LIKE '%x%' has no index, and the walk
// newest first until a page matched read the whole log for a rare name
// (2.8 M rows in the million-report demo). A page that reaches the window
// ends there with what it found, and its Next goes on from it.
const auditSearchWindow = 10_000

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// ListAudit returns a page of audit rows matching f.
func (db *DB) ListAudit(ctx context.Context, f AuditFilter) (*AuditPage, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	if f.Org != 0 {
		return db.listOrgAudit(ctx, f)
	}
	var where []string
	var args []any
	if f.Actor != "" {
		where = append(where, `actor LIKE ? ESCAPE '\'`)
		args = append(args, "%"+likeEscape(f.Actor)+"%")
	}
	if f.Action != "" {
		// A prefix as a range of the audit_action index: the rows of
		// those actions, not a walk of the whole log for them.
		where = append(where, `action >= ? AND action < ?`)
		args = append(args, f.Action, f.Action+"\U0010FFFF")
	}
	if f.Target != "" {
		where = append(where, `target LIKE ? ESCAPE '\'`)
		args = append(args, "%"+likeEscape(f.Target)+"%")
	}
	if !f.From.IsZero() {
		where = append(where, `at >= ?`)
		args = append(args, formatTime(f.From))
	}
	if !f.To.IsZero() {
		where = append(where, `at < ?`)
		args = append(args, formatTime(f.To))
	}
	if f.Before > 0 {
		where = append(where, `id < ?`)
		args = append(args, f.Before)
	}
	var floor int64 // the oldest id a substring search reads on this page
	if f.Actor != "" || f.Target != "" {
		top := f.Before
		if top <= 0 {
			if err := db.read.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) + 1 FROM audit`).Scan(&top); err != nil {
				return nil, fmt.Errorf("db: list audit: %w", err)
			}
		}
		if floor = top - auditSearchWindow; floor > 1 {
			where = append(where, `id >= ?`)
			args = append(args, floor)
		}
	}
	q := `SELECT id, at, COALESCE(actor_id, 0), actor, client_addr, action, target, detail, prev_hash, hash FROM audit`
	if f.Action != "" {
		q += ` INDEXED BY audit_action`
	}
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, f.Limit+1)
	rows, err := db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("db: list audit: %w", err)
	}
	defer rows.Close()
	page := &AuditPage{}
	for rows.Next() {
		var e AuditEntry
		if err := rows.Scan(&e.ID, &e.At, &e.ActorID, &e.Actor, &e.ClientAddr, &e.Action, &e.Target, &e.Detail, &e.PrevHash, &e.Hash); err != nil {
			return nil, fmt.Errorf("db: scan audit: %w", err)
		}
		page.Entries = append(page.Entries, &e)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(page.Entries) > f.Limit {
		page.Entries = page.Entries[:f.Limit]
		page.Next = page.Entries[f.Limit-1].ID
	} else if floor > 1 {
		// The window ended the page: older rows are still to be read.
		page.Next, page.Window = floor, true
	}
	return page, nil
}

// CountAudit says how many rows the audit log holds.
func (db *DB) CountAudit(ctx context.Context) (int64, error) {
	var n int64
	if err := db.read.QueryRowContext(ctx, `SELECT COALESCE(SUM(n), 0) FROM row_counts WHERE tbl = 'audit'`).Scan(&n); err != nil {
		return 0, fmt.Errorf("db: count audit: %w", err)
	}
	return n, nil
}
