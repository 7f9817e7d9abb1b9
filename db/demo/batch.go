package demo

import (
	"context"
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
type rowBatch struct {
	head string // INSERT INTO t (cols) VALUES
	row  string // (?, ?, ...)
	args []any
	n    int
}

// batchRows is how many rows one statement inserts at most.
const batchRows = 100

func newRowBatch(head, row string) *rowBatch { return &rowBatch{head: head, row: row} }

func (b *rowBatch) add(args ...any) {
	b.args = append(b.args, args...)
	b.n++
}

func (b *rowBatch) full() bool { return b.n >= batchRows }

func (b *rowBatch) flush(ctx context.Context, tx *db.Tx) error {
	if b.n == 0 {
		return nil
	}
	var q strings.Builder
	q.WriteString(b.head)
	for i := range b.n {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString(b.row)
	}
	if _, err := tx.ExecContext(ctx, q.String(), b.args...); err != nil {
		return fmt.Errorf("demo: insert into %s: %w", strings.Fields(b.head)[2], err)
	}
	b.args, b.n = b.args[:0], 0
	return nil
}

// pending are a batch's rows not yet inserted, in the order their foreign
// keys need: reporters, reports, timeline entries, raw mail (which names
// its entry), its bytes, mail; then the audit rows, in their order (Tx.AuditRows; an
// audit row's scope is read from the report it names, so it follows the
// report's row).
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

// maybeFlush inserts what is pending once a table has a statement's worth.
func (p *pending) maybeFlush(ctx context.Context, tx *db.Tx) error {
	if p.reports.full() || p.msgs.full() || p.raw.full() || p.outbox.full() {
		return p.flush(ctx, tx)
	}
	return nil
}

// flush inserts everything pending, parents first.
func (p *pending) flush(ctx context.Context, tx *db.Tx) error {
	for _, b := range []*rowBatch{p.reporters, p.reports, p.msgs, p.raw, p.rawChunks, p.outbox} {
		if err := b.flush(ctx, tx); err != nil {
			return err
		}
	}
	if err := tx.AuditRows(ctx, p.audits); err != nil {
		return err
	}
	p.audits = p.audits[:0]
	return nil
}
