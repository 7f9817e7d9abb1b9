package demo

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/disclose/disclose/db"
)

// rowBatch collects rows of one table, for the writer to insert many per
// statement: a statement costs the writer its own work (binding, starting
// the program, the driver's calls) besides the rows', and a demo report has
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

// insert inserts the rows, batchRows per statement and one at a time what
// is left over. The two statements are prepared once per call, which is
// once per table and transaction: SQLite parsed a 100-row statement anew at
// every Exec, which cost about as much as running it (each row of VALUES is
// parsed like a statement of its own).
func (b *rowBatch) insert(ctx context.Context, tx *db.Tx) error {
	if b.n == 0 {
		return nil
	}
	var full, one *sql.Stmt
	defer func() {
		for _, s := range []*sql.Stmt{full, one} {
			if s != nil {
				s.Close()
			}
		}
	}()
	width := len(b.args) / b.n
	args := b.args
	for len(args) > 0 {
		stmt, n := &one, 1
		if len(args) >= batchRows*width {
			stmt, n = &full, batchRows
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

// nextIDs are the ids the next rows of each table get (the largest plus
// one, as SQLite gives them): the generator numbers its rows itself, so
// that it makes a batch without the database while the writer stores the
// one before.
type nextIDs struct{ reporter, report, msg, raw int64 }

// readNextIDs reads the ids the next rows get.
func readNextIDs(ctx context.Context, tx *db.Tx) (nextIDs, error) {
	var n nextIDs
	for _, c := range []struct {
		table string
		id    *int64
	}{{"reporters", &n.reporter}, {"reports", &n.report}, {"messages", &n.msg}, {"mail_raw", &n.raw}} {
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) + 1 FROM `+c.table).Scan(c.id); err != nil {
			return n, fmt.Errorf("demo: next id of %s: %w", c.table, err)
		}
	}
	return n, nil
}

// attachment is an attachment of a timeline entry, stored by the writer
// after the batch's rows (Tx.AddAttachment).
type attachment struct {
	entry int64
	at    time.Time
	data  []byte
}

// genBatch is one batch of rows as the generator made them, for the
// writer: the rows of each table in order, then the attachments (which
// name their entries), then the audit rows (an audit row's scope is read
// from the report it names), then the programs' numbering.
type genBatch struct {
	first                                            nextIDs // the ids of the batch's first rows
	reporters, reports, msgs, raw, rawChunks, outbox *rowBatch
	attachments                                      []attachment
	audits                                           []db.AuditRow
	numbers                                          [][2]int64 // program id, next number
	longRefs                                         []string
	next                                             nextIDs // the ids the next rows get
}

func newGenBatch(first nextIDs) *genBatch {
	return &genBatch{
		first:     first,
		next:      first,
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
}

// reporter queues a reporter and returns its id.
func (p *genBatch) reporter(args ...any) int64 {
	id := p.next.reporter
	p.next.reporter++
	p.reporters.add(append([]any{id}, args...)...)
	return id
}

// report queues a report and returns its id.
func (p *genBatch) report(args ...any) int64 {
	id := p.next.report
	p.next.report++
	p.reports.add(append([]any{id}, args...)...)
	return id
}

// audit queues an audit row.
func (p *genBatch) audit(actor db.Actor, action, target, detail string) {
	p.audits = append(p.audits, db.AuditRow{Actor: actor, Action: action, Target: target, Detail: detail})
}

// message queues a timeline entry and returns its id.
func (p *genBatch) message(args ...any) int64 {
	id := p.next.msg
	p.next.msg++
	p.msgs.add(append([]any{id}, args...)...)
	return id
}

// rawMail queues a raw mail with its bytes.
func (p *genBatch) rawMail(data []byte, args ...any) {
	id := p.next.raw
	p.next.raw++
	p.raw.add(append([]any{id}, args...)...)
	p.rawChunks.add(id, data)
}

// write stores the batch in tx. The ids the generator gave its rows must
// be the next ones: a database another writer added to meanwhile is
// refused, not given rows whose ids collide.
func (p *genBatch) write(ctx context.Context, tx *db.Tx) error {
	now, err := readNextIDs(ctx, tx)
	if err != nil {
		return err
	}
	if now != p.first {
		return fmt.Errorf("demo: the database changed while demo ran (another writer added reports, timeline entries or mail); run demo again")
	}
	for _, b := range []*rowBatch{p.reporters, p.reports, p.msgs, p.raw, p.rawChunks} {
		if err := b.insert(ctx, tx); err != nil {
			return err
		}
	}
	if err := insertMail(ctx, tx, p.outbox); err != nil {
		return err
	}
	for _, a := range p.attachments {
		if err := tx.AddAttachment(ctx, a.entry, &db.NewAttachment{Filename: "request.http", ContentType: "text/plain", Data: a.data}, a.at); err != nil {
			return err
		}
	}
	// One call: Tx.AuditRows prepares its statement once per call.
	if err := tx.AuditRows(ctx, p.audits); err != nil {
		return err
	}
	for _, n := range p.numbers {
		if _, err := tx.ExecContext(ctx, `UPDATE programs SET next_number = ? WHERE id = ?`, n[1], n[0]); err != nil {
			return fmt.Errorf("demo: update numbering: %w", err)
		}
	}
	return nil
}

// insertMail inserts the batch's outbox rows and files them under their
// reports' organisations (outbox_orgs), as the portal files the mail it
// writes: an organisation's admins see the demo's mail on their outbox.
func insertMail(ctx context.Context, tx *db.Tx, rows *rowBatch) error {
	var last int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM outbox`).Scan(&last); err != nil {
		return fmt.Errorf("demo: last mail id: %w", err)
	}
	if err := rows.insert(ctx, tx); err != nil {
		return err
	}
	return tx.FileReportMail(ctx, last)
}
