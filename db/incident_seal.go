package db

import (
	"context"
	"fmt"
)

// convertIncidents seals (or opens) the title and checklist of the
// incidents matching where, for `disclose seal` and `unseal`.
func (tx *Tx) convertIncidents(ctx context.Context, s sealStep, from int, where string, args ...any) (int, error) {
	return tx.convertTexts(ctx, s, from, "incidents", []string{"title", "checklist"}, where, args...)
}

// convertObligationCopies seals (or opens) the copies of sent
// notifications matching where.
func (tx *Tx) convertObligationCopies(ctx context.Context, s sealStep, from int, where string, args ...any) (int, error) {
	return tx.convertTexts(ctx, s, from, "incident_obligations", []string{"sent_copy"}, where, args...)
}

// convertTexts converts text columns of the rows of table matching where,
// one row at a time, and flips their sealed flag. table and columns are
// fixed names of the callers above, never input.
func (tx *Tx) convertTexts(ctx context.Context, s sealStep, from int, table string, columns []string, where string, args ...any) (int, error) {
	cols := ""
	set := ""
	for k, c := range columns {
		if k > 0 {
			cols += ", "
		}
		cols += c
		set += c + " = ?, "
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, `+cols+` FROM `+table+` WHERE sealed = ? AND `+where, append([]any{from}, args...)...)
	if err != nil {
		return 0, fmt.Errorf("db: read %s to convert: %w", table, err)
	}
	type row struct {
		id   int64
		vals []string
	}
	var out []row
	for rows.Next() {
		r := row{vals: make([]string, len(columns))}
		dest := []any{&r.id}
		for k := range r.vals {
			dest = append(dest, &r.vals[k])
		}
		if err := rows.Scan(dest...); err != nil {
			rows.Close()
			return 0, fmt.Errorf("db: read %s to convert: %w", table, err)
		}
		out = append(out, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("db: read %s to convert: %w", table, err)
	}
	for _, r := range out {
		ptrs := make([]*string, len(r.vals))
		for k := range r.vals {
			ptrs[k] = &r.vals[k]
		}
		if err := s.texts(ptrs...); err != nil {
			return 0, fmt.Errorf("db: %s %d: %w", table, r.id, err)
		}
		args := []any{}
		for _, v := range r.vals {
			args = append(args, v)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE `+table+` SET `+set+`sealed = ? WHERE id = ?`, append(args, 1-from, r.id)...); err != nil {
			return 0, fmt.Errorf("db: convert %s %d: %w", table, r.id, err)
		}
	}
	return len(out), nil
}
