package db

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// AuditRow is one row for Tx.AuditRows.
type AuditRow struct {
	Actor                  Actor
	Action, Target, Detail string
}

// auditRowsPerStatement bounds a statement of AuditRows (10 values a row).
const auditRowsPerStatement = 100

// AuditRows appends rows to the audit log in their order: the same rows,
// ids, hash chain and organisations (audit_orgs) as one Tx.Audit per row,
// written many rows per statement. Each row of Tx.Audit costs three
// statements, each parsed again (the row, its scope's lookup, its
// audit_orgs row): the demo generator writes about 250,000 audit rows per
// 100,000 reports, and they were a large part of its time. The scope's
// lookups are made once per distinct query and value: the rows change
// nothing they read (reports, programs, organisations, accounts).
func (tx *Tx) AuditRows(ctx context.Context, rows []AuditRow) error {
	if len(rows) == 0 {
		return nil
	}
	if err := tx.loadAuditHead(ctx); err != nil {
		return err
	}
	type memoKey struct {
		query string
		arg   any
		all   bool
	}
	memo := map[memoKey][]int64{}
	lookup := func(query string, arg any, all bool) ([]int64, error) {
		k := memoKey{query, arg, all}
		if ids, ok := memo[k]; ok {
			return ids, nil
		}
		ids, err := tx.scopeLookup(ctx, query, arg, all)
		if err == nil {
			memo[k] = ids
		}
		return ids, err
	}
	// An organisation's rows of audit_orgs: itself and its parent, as
	// auditScope's INSERT selects them.
	filed := map[int64][]int64{}
	fileUnder := func(org int64) ([]int64, error) {
		if ids, ok := filed[org]; ok {
			return ids, nil
		}
		rows, err := tx.QueryContext(ctx, `SELECT id FROM organisations WHERE id = ? UNION SELECT parent_id FROM organisations WHERE id = ? AND parent_id IS NOT NULL`, org, org)
		if err != nil {
			return nil, fmt.Errorf("db: scope audit: %w", err)
		}
		defer rows.Close()
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return nil, fmt.Errorf("db: scope audit: %w", err)
			}
			ids = append(ids, id)
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("db: scope audit: %w", err)
		}
		filed[org] = ids
		return ids, nil
	}

	at := formatTime(tx.now)
	head := *tx.auditHead
	auditArgs := make([]any, 0, 10*len(rows))
	var orgArgs []any
	for _, r := range rows {
		e := AuditEntry{ID: head.id + 1, PrevHash: head.hash, At: at, ActorID: r.Actor.UserID, Actor: r.Actor.Name,
			ClientAddr: r.Actor.ClientAddr, Action: r.Action, Target: r.Target, Detail: r.Detail}
		e.Hash = auditHash(&e)
		head = auditHead{id: e.ID, hash: e.Hash}
		var actorID any
		if e.ActorID != 0 {
			actorID = e.ActorID
		}
		auditArgs = append(auditArgs, e.ID, e.At, actorID, e.Actor, e.ClientAddr, e.Action, e.Target, e.Detail, e.PrevHash, e.Hash)
		orgs, err := auditOrgsOf(&e, lookup)
		if err != nil {
			return err
		}
		for _, org := range orgs {
			ids, err := fileUnder(org)
			if err != nil {
				return err
			}
			for _, id := range ids {
				orgArgs = append(orgArgs, id, e.ID)
			}
		}
	}
	if err := tx.insertRows(ctx, `INSERT INTO audit (id, at, actor_id, actor, client_addr, action, target, detail, prev_hash, hash) VALUES `,
		`(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, 10, auditArgs); err != nil {
		return fmt.Errorf("db: append audit rows: %w", err)
	}
	tx.auditHead = &head
	// audit_orgs names audit rows: they are in.
	if err := tx.insertRows(ctx, `INSERT OR IGNORE INTO audit_orgs (org_id, audit_id) VALUES `, `(?, ?)`, 2, orgArgs); err != nil {
		return fmt.Errorf("db: scope audit rows: %w", err)
	}
	return nil
}

// insertRows runs insert (INSERT ... VALUES) for the rows of args, width
// values each, in order: auditRowsPerStatement rows per statement, and one
// at a time what is left over, each statement prepared once.
func (tx *Tx) insertRows(ctx context.Context, insert, row string, width int, args []any) error {
	var full, one *sql.Stmt
	defer func() {
		for _, s := range []*sql.Stmt{full, one} {
			if s != nil {
				s.Close()
			}
		}
	}()
	for len(args) > 0 {
		stmt, n := &one, 1
		if len(args) >= auditRowsPerStatement*width {
			stmt, n = &full, auditRowsPerStatement
		}
		if *stmt == nil {
			q := insert + row + strings.Repeat(", "+row, n-1)
			var err error
			if *stmt, err = tx.PrepareContext(ctx, q); err != nil {
				return err
			}
		}
		if _, err := (*stmt).ExecContext(ctx, args[:n*width]...); err != nil {
			return err
		}
		args = args[n*width:]
	}
	return nil
}
