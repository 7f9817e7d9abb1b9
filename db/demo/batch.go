package demo

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/disclose/disclose/db"
)

// rowBatch collects rows of one table and inserts them many per statement:
// a statement costs the writer its own work (binding, starting the
// program, the driver's calls) besides the rows', and a demo report has
// about five timeline entries and two or three mails. Rows keep their
// order, so the ids SQLite gives them are those one statement per row
// would have given.
//
// The statement of batchRows rows, and that of one row for what is left
// over, are prepared once per transaction and run again: SQLite parsed a
// 100-row statement anew at every Exec, which cost about as much as
// running it (each row of VALUES is parsed like a statement of its own).
type rowBatch struct {
	head string // INSERT INTO t (cols) VALUES
	row  string // (?, ?, ...)
	args []any
	n    int
	full *sql.Stmt // the statement of batchRows rows, once prepared
	one  *sql.Stmt // the statement of one row, once prepared
}

// batchRows is how many rows one statement inserts at most.
const batchRows = 100

func newRowBatch(head, row string) *rowBatch { return &rowBatch{head: head, row: row} }

func (b *rowBatch) add(args ...any) {
	b.args = append(b.args, args...)
	b.n++
}

func (b *rowBatch) flush(ctx context.Context, tx *db.Tx) error {
	if b.n == 0 {
		return nil
	}
	width := len(b.args) / b.n
	args := b.args
	for len(args) > 0 {
		stmt, n := &b.one, 1
		if len(args) >= batchRows*width {
			stmt, n = &b.full, batchRows
		}
		if *stmt == nil {
			var err error
			if *stmt, err = tx.PrepareContext(ctx, b.statement(n)); err != nil {
				return fmt.Errorf("demo: prepare insert into %s: %w", b.table(), err)
			}
		}
		if _, err := (*stmt).ExecContext(ctx, args[:n*width]...); err != nil {
			return fmt.Errorf("demo: insert into %s: %w", b.table(), err)
		}
		args = args[n*width:]
	}
	b.args, b.n = b.args[:0], 0
	return nil
}

// statement is the INSERT of n rows.
func (b *rowBatch) statement(n int) string {
	var q strings.Builder
	q.WriteString(b.head)
	for i := range n {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString(b.row)
	}
	return q.String()
}

func (b *rowBatch) table() string { return strings.Fields(b.head)[2] }

// close closes the prepared statements (the transaction ends).
func (b *rowBatch) close() {
	for _, s := range []**sql.Stmt{&b.full, &b.one} {
		if *s != nil {
			(*s).Close()
			*s = nil
		}
	}
}

// pending are a batch's rows not yet inserted, in the order their foreign
// keys need: reporters, reports, timeline entries, raw mail (which names
// its entry), its bytes, mail; then the audit rows, in their order, at the
// batch's end (an audit row's scope is read from the report it names, so
// it follows the report's row).
type pending struct {
	reporters, reports, msgs, raw, rawChunks, outbox *rowBatch
	audits                                           []db.AuditRow
	nextReporter, nextReport, nextMsg, nextRaw       int64 // the ids the next rows get
}

func newPending(ctx context.Context, tx *db.Tx) (*pending, error) {
	p := &pending{
		reporters: newRowBatch(`INSERT INTO reporters (id, name, email, credit, created_at) VALUES `, `(?, ?, ?, ?, ?)`),
		reports: newRowBatch(`INSERT INTO reports (id, program_id, number, reporter_id, source, state, prev_state, title, asset, cwe,
			description, steps, impact, cvss_vector, cvss_score, severity, cve_id, assignee_id, duplicate_of, close_reason, disclosure_at, disclosure_tz,
			credit, version, created_at, updated_at, first_response_at, triaged_at, resolved_at, closed_at, paused_at) VALUES `,
			`(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		msgs: newRowBatch(`INSERT INTO messages (id, report_id, kind, public, author_id, source, body, event, from_state, to_state, message_id, created_at) VALUES `,
			`(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		raw: newRowBatch(`INSERT INTO mail_raw (id, kind, dedupe_key, sha256, size, message_id, from_addr, subject, report_id, entry_id, mailbox, uid_validity, uid, created_at) VALUES `,
			`(?, 'report', ?, ?, ?, ?, ?, ?, ?, ?, 'INBOX', 1, ?, ?)`),
		rawChunks: newRowBatch(`INSERT INTO mail_raw_chunks (raw_id, seq, data) VALUES `, `(?, 0, ?)`),
		outbox: newRowBatch(`INSERT INTO outbox (report_id, user_id, kind, message_id, to_addr, subject, body, auto_submitted, status, attempts,
			next_attempt_at, created_at, queued_at, sent_at) VALUES `, `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
	}
	// Ids as SQLite would give them (the largest plus one): the writer is
	// the only one, and the rows of this transaction are counted here.
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) + 1 FROM reporters`).Scan(&p.nextReporter); err != nil {
		return nil, fmt.Errorf("demo: next reporter id: %w", err)
	}
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) + 1 FROM reports`).Scan(&p.nextReport); err != nil {
		return nil, fmt.Errorf("demo: next report id: %w", err)
	}
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) + 1 FROM messages`).Scan(&p.nextMsg); err != nil {
		return nil, fmt.Errorf("demo: next entry id: %w", err)
	}
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) + 1 FROM mail_raw`).Scan(&p.nextRaw); err != nil {
		return nil, fmt.Errorf("demo: next raw mail id: %w", err)
	}
	return p, nil
}

// reporter queues a reporter and returns its id.
func (p *pending) reporter(args ...any) int64 {
	id := p.nextReporter
	p.nextReporter++
	p.reporters.add(append([]any{id}, args...)...)
	return id
}

// report queues a report and returns its id.
func (p *pending) report(args ...any) int64 {
	id := p.nextReport
	p.nextReport++
	p.reports.add(append([]any{id}, args...)...)
	return id
}

// audit queues an audit row.
func (p *pending) audit(actor db.Actor, action, target, detail string) {
	p.audits = append(p.audits, db.AuditRow{Actor: actor, Action: action, Target: target, Detail: detail})
}

// message queues a timeline entry and returns its id.
func (p *pending) message(args ...any) int64 {
	id := p.nextMsg
	p.nextMsg++
	p.msgs.add(append([]any{id}, args...)...)
	return id
}

// rawMail queues a raw mail with its bytes.
func (p *pending) rawMail(data []byte, args ...any) {
	id := p.nextRaw
	p.nextRaw++
	p.raw.add(append([]any{id}, args...)...)
	p.rawChunks.add(id, data)
}

// maybeFlush inserts what is pending once there are batchRows reports:
// their timeline entries and mail then fill several statements of
// batchRows rows, and one row at a time goes only what is left over.
func (p *pending) maybeFlush(ctx context.Context, tx *db.Tx) error {
	if p.reports.n >= batchRows {
		return p.flush(ctx, tx)
	}
	return nil
}

// flush inserts the rows pending, parents first; the audit rows wait for
// finish.
func (p *pending) flush(ctx context.Context, tx *db.Tx) error {
	for _, b := range p.tables() {
		if err := b.flush(ctx, tx); err != nil {
			return err
		}
	}
	return nil
}

// finish inserts everything pending, the batch's audit rows last, all in
// one call (Tx.AuditRows, which prepares its statement once per call):
// their reports are in by then, and no other table's rows refer to them,
// so their ids and contents are those of rows written as they came.
func (p *pending) finish(ctx context.Context, tx *db.Tx) error {
	if err := p.flush(ctx, tx); err != nil {
		return err
	}
	if err := tx.AuditRows(ctx, p.audits); err != nil {
		return err
	}
	p.audits = p.audits[:0]
	return nil
}

func (p *pending) tables() []*rowBatch {
	return []*rowBatch{p.reporters, p.reports, p.msgs, p.raw, p.rawChunks, p.outbox}
}

// close closes the prepared statements.
func (p *pending) close() {
	for _, b := range p.tables() {
		b.close()
	}
}
