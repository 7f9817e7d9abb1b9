package db

import (
	"context"
	"fmt"
)

// QueueSortForTest is how the queue would read f's first ids (not a
// search): the index it walks, and, when its plan sorts the matches in a
// temporary B-tree before the page is known, how many rows that sort holds
// (0 when the index gives the page's order).
func (db *DB) QueueSortForTest(ctx context.Context, f QueueFilter) (index string, sorted int64, err error) {
	tx, err := db.beginRead(ctx)
	if err != nil {
		return "", 0, err
	}
	defer tx.Rollback()
	counts, err := stateCounts(ctx, tx, f)
	if err != nil {
		return "", 0, err
	}
	lead, err := sortLead(ctx, tx, f, counts)
	if err != nil {
		return "", 0, err
	}
	if lead.lead == "empty" {
		return "", 0, nil
	}
	f.lead = &lead
	from, where, args, order := queueQuery(f, db.Now().UTC())
	page, pargs := pageIDs(lead, from, where, order, args)
	rows, err := tx.QueryContext(ctx, `EXPLAIN QUERY PLAN `+page, append(pargs, QueuePageSize+1, (max(f.Page, 1)-1)*QueuePageSize)...)
	if err != nil {
		return "", 0, err
	}
	sorts := false
	for rows.Next() {
		var id, parent, unused int64
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			rows.Close()
			return "", 0, err
		}
		sorts = sorts || detail == "USE TEMP B-TREE FOR ORDER BY"
	}
	rows.Close()
	if !sorts {
		return lead.index, 0, nil
	}
	err = tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT r.id `+from+where+`)`, args...).Scan(&sorted)
	if err != nil {
		return "", 0, fmt.Errorf("count %s: %w", where, err)
	}
	return lead.index, sorted, nil
}

// SetMergeOffForTest with true keeps a few programs' views on the
// single-index walks (queue_merge.go); false puts the merge back.
func SetMergeOffForTest(off bool) { mergeOffForTest = off }

// QueuePlanForTest is the plan (EXPLAIN QUERY PLAN details) of the
// statement that reads f's page of ids (not a search).
func (db *DB) QueuePlanForTest(ctx context.Context, f QueueFilter) ([]string, error) {
	tx, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	counts, err := stateCounts(ctx, tx, f)
	if err != nil {
		return nil, err
	}
	lead, err := sortLead(ctx, tx, f, counts)
	if err != nil || lead.lead == "empty" {
		return nil, err
	}
	f.lead = &lead
	from, where, args, order := queueQuery(f, db.Now().UTC())
	page, pargs := pageIDs(lead, from, where, order, args)
	rows, err := tx.QueryContext(ctx, `EXPLAIN QUERY PLAN `+page, append(pargs, QueuePageSize+1, (max(f.Page, 1)-1)*QueuePageSize)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int64
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			return nil, err
		}
		plan = append(plan, detail)
	}
	return plan, rows.Err()
}

// SetWholeScopeOffForTest with true reads every search window newest first
// with its limit (queue_rank.go, wholeScope); false puts it back.
func SetWholeScopeOffForTest(off bool) { wholeScopeOffForTest = off }

// SetMergeRatioForTest sets mergeRatio and returns the old value.
func SetMergeRatioForTest(n int64) int64 { old := mergeRatio; mergeRatio = n; return old }
