package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
)

// auditBackfillBatch is how many old audit rows one transaction files: it
// bounds the memory of the backfill and how long it holds the writer.
var auditBackfillBatch = 500

// backfillAuditOrgs files the audit rows written before migration 0033
// under their organisations by auditScope's rules, the ones new rows are
// filed by (regular expressions over target and detail, which SQL cannot
// state exactly). Those rules read where things are today, so a row about
// a program that moved after it was written (a later program.move row)
// would go to the organisation the program joined and leave the one whose
// staff did the work: such rows stay the site admin's alone, under
// neither (movedLater). Migration 0036 recorded the range (audit_backfill); each
// batch is a transaction that files its rows and moves next_id on, so an
// interrupted start resumes where it stopped and no row is filed twice.
// It runs at start, before the portal serves, and logs its progress.
func (db *DB) backfillAuditOrgs(ctx context.Context) error {
	filed, logged := 0, 0
	for {
		var done bool
		var end int64
		err := db.Update(ctx, func(ctx context.Context, tx *Tx) error {
			var next int64
			err := tx.QueryRowContext(ctx, `SELECT next_id, end_id FROM audit_backfill`).Scan(&next, &end)
			if errors.Is(err, sql.ErrNoRows) {
				done = true
				return nil
			} else if err != nil {
				return fmt.Errorf("db: read the audit backfill: %w", err)
			}
			entries, err := tx.auditRange(ctx, next, end, auditBackfillBatch)
			if err != nil {
				return err
			}
			moves, err := tx.programMovesAfter(ctx, next)
			if err != nil {
				return err
			}
			for _, e := range entries {
				if moved, err := tx.movedLater(ctx, e, moves); err != nil {
					return err
				} else if moved {
					continue
				}
				if err := tx.auditScope(ctx, e); err != nil {
					return err
				}
			}
			filed += len(entries)
			if next += int64(auditBackfillBatch); next > end {
				done = true
				_, err = tx.ExecContext(ctx, `DELETE FROM audit_backfill`)
			} else {
				_, err = tx.ExecContext(ctx, `UPDATE audit_backfill SET next_id = ?`, next)
			}
			if err != nil {
				return fmt.Errorf("db: note the audit backfill: %w", err)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if filed-logged >= 50*auditBackfillBatch || (done && filed > 0) {
			slog.Info("audit rows from before organisations filed under them", "rows", filed, "last_id", end, "done", done)
			logged = filed
		}
		if done {
			return nil
		}
	}
}

// auditRange reads the audit rows with ids from..to, at most n of them,
// in id order: one lookup by rowid per id, a plan no statistics turn into
// a scan of the log (a range over the rowid became one, TestQueryPlans).
func (tx *Tx) auditRange(ctx context.Context, from, to int64, n int) ([]*AuditEntry, error) {
	var out []*AuditEntry
	for id := from; id <= to && id < from+int64(n); id++ {
		e := &AuditEntry{}
		err := tx.QueryRowContext(ctx, `SELECT id, action, target, detail FROM audit WHERE id = ?`, id).Scan(&e.ID, &e.Action, &e.Target, &e.Detail)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		} else if err != nil {
			return nil, fmt.Errorf("db: read old audit row %d: %w", id, err)
		}
		out = append(out, e)
	}
	return out, nil
}

// programMovesAfter maps the slug of each program moved by an audit row
// after id (program.move, its target the program's slug) to those rows'
// ids, in order: read through the action's index, a row per move.
func (tx *Tx) programMovesAfter(ctx context.Context, id int64) (map[string][]int64, error) {
	rows, err := tx.QueryContext(ctx, `SELECT target, id FROM audit WHERE action = 'program.move' AND id > ? ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("db: read program moves: %w", err)
	}
	defer rows.Close()
	out := map[string][]int64{}
	for rows.Next() {
		var slug string
		var move int64
		if err := rows.Scan(&slug, &move); err != nil {
			return nil, fmt.Errorf("db: read program moves: %w", err)
		}
		out[slug] = append(out[slug], move)
	}
	return out, rows.Err()
}

// auditProgramSQL finds the slug of the program an audit row's object
// belongs to, by the kind of its target (as auditScopeSQL its organisation).
var auditProgramSQL = map[string]string{
	"ref":      `SELECT slug FROM programs WHERE prefix = ?`,
	"report":   `SELECT p.slug FROM reports r JOIN programs p ON p.id = r.program_id WHERE r.id = ?`,
	"webhook":  `SELECT p.slug FROM webhooks w JOIN programs p ON p.id = w.program_id WHERE w.id = ?`,
	"delivery": `SELECT p.slug FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id JOIN programs p ON p.id = w.program_id WHERE d.id = ?`,
	"outbox":   `SELECT p.slug FROM outbox o JOIN reports r ON r.id = o.report_id JOIN programs p ON p.id = r.program_id WHERE o.id = ?`,
	"mailbox":  `SELECT p.slug FROM mailboxes m JOIN programs p ON p.id = m.program_id WHERE m.id = ?`,
}

// movedLater says whether old audit row e is about a program that a later
// row moved to another organisation (moves: programMovesAfter): where the
// program is today says nothing of where it was when e was written. A
// mailbox.move is written just before its own program.move, so for it
// only a second move counts.
func (tx *Tx) movedLater(ctx context.Context, e *AuditEntry, moves map[string][]int64) (bool, error) {
	if len(moves) == 0 || strings.HasPrefix(e.Action, "incident.") {
		return false, nil
	}
	later := func(slug string) bool {
		n := 0
		for _, id := range moves[slug] {
			if id > e.ID {
				n++
			}
		}
		if e.Action == "mailbox.move" {
			return n > 1
		}
		return n > 0
	}
	var kind string
	var arg any
	switch {
	case strings.HasPrefix(e.Action, "program."):
		return later(e.Target), nil
	case auditRef.MatchString(e.Target):
		kind, arg = "ref", auditRef.FindStringSubmatch(e.Target)[1]
	case auditObject.MatchString(e.Target):
		m := auditObject.FindStringSubmatch(e.Target)
		kind, arg = m[1], m[2]
	case auditMailbox.MatchString(e.Target):
		kind, arg = "mailbox", auditMailbox.FindStringSubmatch(e.Target)[1]
	default:
		return false, nil
	}
	var slug string
	err := tx.QueryRowContext(ctx, auditProgramSQL[kind], arg).Scan(&slug)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("db: find the program of audit row %d: %w", e.ID, err)
	}
	return later(slug), nil
}
