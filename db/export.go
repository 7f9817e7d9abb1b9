package db

import (
	"context"
	"database/sql"
	"fmt"
)

// ExportedReport is one report as exports write it: every field, the staff
// details, the next deadline and the whole timeline with attachment
// metadata (never attachment bytes).
type ExportedReport struct {
	Report   *Report
	Details  *ReportDetails
	Next     *Deadline
	Timeline []*Message
}

// exportChunk is how many reports one round of export queries reads.
const exportChunk = 500

// ExportReports calls fn for every report matching f (every page, in the
// filter's order), reading in chunks from one snapshot. It is a read;
// callers audit the export with AuditExport.
func (db *DB) ExportReports(ctx context.Context, f QueueFilter, fn func(*ExportedReport) error) (int, error) {
	if f.Visible != nil && len(f.Visible) == 0 {
		return 0, nil
	}
	cov, err := db.matchSealed(ctx, &f)
	if err != nil {
		return 0, err
	}
	// An export is kept and shared: it must hold every match or none.
	switch cov {
	case SealedPartial:
		return 0, Errorf(ECONFLICT, "The search index of sealed reports is still being built; export this search again once it is ready.")
	case SealedLocked:
		return 0, Errorf(ECONFLICT, "Sealed reports cannot be searched while the team key is locked; unlock it to export this search.")
	}
	tx, err := db.beginRead(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	now := db.Now().UTC()
	from, where, args, order := queueQuery(f, now)
	if where == "" {
		return 0, nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT r.id, r.due_kind, r.due_at, r.due_warn_at, r.paused_at `+from+where+` ORDER BY `+order, args...)
	if err != nil {
		return 0, fmt.Errorf("db: export: %w", err)
	}
	var ids []int64
	next := map[int64]*Deadline{}
	for rows.Next() {
		var id int64
		var kind string
		var due, warn sql.NullInt64
		var paused sql.NullString
		if err := rows.Scan(&id, &kind, &due, &warn, &paused); err != nil {
			rows.Close()
			return 0, fmt.Errorf("db: export: %w", err)
		}
		ids = append(ids, id)
		next[id] = nextDeadline(kind, due, warn, paused, now)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("db: export: %w", err)
	}
	for start := 0; start < len(ids); start += exportChunk {
		chunk := ids[start:min(start+exportChunk, len(ids))]
		reports, err := exportChunkRead(ctx, tx, chunk)
		if err != nil {
			return 0, err
		}
		for _, id := range chunk {
			e := reports[id]
			e.Next = next[id]
			db.openExported(e)
			if err := fn(e); err != nil {
				return 0, err
			}
		}
	}
	return len(ids), tx.Commit()
}

// exportChunkRead reads the reports, details, timelines and attachment
// metadata of some reports with three queries.
func exportChunkRead(ctx context.Context, tx *sql.Tx, ids []int64) (map[int64]*ExportedReport, error) {
	in := `(` + placeholders(len(ids)) + `)`
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	out := make(map[int64]*ExportedReport, len(ids))
	rows, err := tx.QueryContext(ctx, `SELECT `+reportColumns+`, `+detailsColumns+reportFrom+detailsJoin+` WHERE r.id IN `+in, args...)
	if err != nil {
		return nil, fmt.Errorf("db: export reports: %w", err)
	}
	for rows.Next() {
		e := &ExportedReport{Details: &ReportDetails{}}
		dest, finish := detailsDest(e.Details)
		if e.Report, err = scanReport(scanWith(rows, dest)); err != nil {
			rows.Close()
			return nil, fmt.Errorf("db: export scan report: %w", err)
		}
		finish()
		out[e.Report.ID] = e
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("db: export reports: %w", err)
	}
	byMsg := map[int64]*Message{}
	mrows, err := tx.QueryContext(ctx, `SELECT m.id, m.report_id, m.kind, m.public, COALESCE(m.author_id, 0), COALESCE(NULLIF(u.name, ''), u.email, ''),
		m.source, m.body, m.event, m.from_state, m.to_state, m.created_at, m.sealed
		FROM messages m LEFT JOIN users u ON u.id = m.author_id WHERE m.report_id IN `+in+` ORDER BY m.report_id, m.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("db: export timeline: %w", err)
	}
	for mrows.Next() {
		m := &Message{}
		var created string
		if err := mrows.Scan(&m.ID, &m.ReportID, &m.Kind, &m.Public, &m.AuthorID, &m.AuthorName, &m.Source, &m.Body, &m.Event,
			&m.FromState, &m.ToState, &created, &m.Sealed); err != nil {
			mrows.Close()
			return nil, fmt.Errorf("db: export scan timeline: %w", err)
		}
		m.CreatedAt = parseTime(created)
		if e := out[m.ReportID]; e != nil {
			e.Timeline = append(e.Timeline, m)
			byMsg[m.ID] = m
		}
	}
	mrows.Close()
	if err := mrows.Err(); err != nil {
		return nil, fmt.Errorf("db: export timeline: %w", err)
	}
	arows, err := tx.QueryContext(ctx, `SELECT a.id, a.message_id, a.filename, a.content_type, a.size, a.sha256
		FROM attachments a JOIN messages m ON m.id = a.message_id WHERE m.report_id IN `+in+` ORDER BY a.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("db: export attachments: %w", err)
	}
	defer arows.Close()
	for arows.Next() {
		a := &Attachment{}
		if err := arows.Scan(&a.ID, &a.MessageID, &a.Filename, &a.ContentType, &a.Size, &a.SHA256); err != nil {
			return nil, fmt.Errorf("db: export scan attachment: %w", err)
		}
		if m := byMsg[a.MessageID]; m != nil {
			m.Attachments = append(m.Attachments, a)
		}
	}
	return out, arows.Err()
}

// scanWith lets scanReport fill its columns and then extra destinations
// from the same row.
func scanWith(rows *sql.Rows, extra []any) interface{ Scan(...any) error } {
	return scanFunc(func(dest ...any) error { return rows.Scan(append(dest, extra...)...) })
}

type scanFunc func(dest ...any) error

func (f scanFunc) Scan(dest ...any) error { return f(dest...) }

// AuditExport records that someone exported reports: exports carry every
// report's text out of the portal. n < 0 is an export whose size is not
// known yet (the web export is audited before it streams).
func (db *DB) AuditExport(ctx context.Context, actor Actor, format string, n int, filter string) error {
	detail := fmt.Sprintf("format=%s filter=%s", format, filter)
	if n >= 0 {
		detail = fmt.Sprintf("format=%s reports=%d filter=%s", format, n, filter)
	}
	return db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		return tx.audit(ctx, actor, "report.export", "", detail)
	})
}
