package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Update is the one way to write to the database: every method that writes
// is built on it (other packages call those methods, and Update itself only
// in tests). Its rules:
//
//   - fn runs once, on the single writer goroutine, in a write transaction
//     it may share with other callers (group commit): the writer takes the
//     jobs queued at that moment (up to maxBatch), runs each in its own
//     SAVEPOINT (a lone job needs none), then indexes the reports they
//     added for search (Tx.indexNewReports, the batch's last step) and
//     commits once.
//   - fn writes only through tx, and never commits or rolls it back. Its
//     writes are undone if it returns an error or panics (the panic becomes
//     its error); the other jobs' writes are not. A method that must keep a
//     record of a refusal (a failed sign-in) returns nil from fn and the
//     refusal after Update.
//   - Update returns after the commit, with fn's error or the commit's: nil
//     means fn's writes are durable, so a caller acknowledges only what is
//     stored. When SQLite loses the whole transaction (disk full, I/O
//     error), every job that ran in it gets an error, and the jobs not yet
//     run go on in a new transaction.
//   - A caller whose ctx ends while it waits for the writer gets ctx.Err(),
//     and fn does not run. Once fn runs, it has ctx's values but not its
//     cancellation (an interrupted statement would roll back the other
//     callers' writes): the caller gets the real outcome.
//   - fn must not call Update (deadlock: the writer is running fn), and
//     every other writer waits while it runs: work outside SQL (password
//     hashing, sealing) is done before Update where it can be. Long work
//     (seal conversion, purge, demo data) is a sequence of Updates of
//     bounded size, each its own job, checking ctx between them.
//   - A batch is one clock (tx.now is the time of every row it writes) and
//     one check of the sealing state (sealGuard). What a job reads through
//     the transaction's caches is its own, unless it says it changes
//     nothing they hold (keepAudience).
func (db *DB) Update(ctx context.Context, fn func(ctx context.Context, tx *Tx) error) error {
	job := writeJob{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case db.jobs <- job:
	case <-db.stopped:
		return errClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	// Once queued, wait for the outcome even if ctx ends: the job may
	// already be committed, and the caller must not report a failure then.
	return <-job.done
}

// maxBatch bounds how many jobs share one commit.
const maxBatch = 128

// updateValue is Update for a job that makes one value (a token, an id, a
// claimed row): the caller gets the value only once the transaction
// committed, the zero value with any error.
func updateValue[T any](ctx context.Context, db *DB, fn func(ctx context.Context, tx *Tx) (T, error)) (T, error) {
	var out T
	err := db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		v, err := fn(ctx, tx)
		out = v
		return err
	})
	if err != nil {
		var zero T
		return zero, err
	}
	return out, nil
}

// writeJob is one caller's part of a shared write transaction.
type writeJob struct {
	ctx  context.Context
	fn   func(ctx context.Context, tx *Tx) error
	done chan error
}

var errClosed = errors.New("db: closed")

// errBatchLost answers the jobs of a shared transaction that SQLite rolled
// back because of another job's failure (disk full, I/O error, interrupt).
var errBatchLost = errors.New("db: the shared write transaction was rolled back; nothing of this write was stored")

// startWriter starts the writer goroutine; Close stops it.
func (db *DB) startWriter() {
	db.jobs, db.stopped, db.writerDone = make(chan writeJob), make(chan struct{}), make(chan struct{})
	db.eventsRecorded = make(chan struct{}, 1)
	go db.writer()
}

// writer is the one goroutine that writes: it runs the queued jobs in
// batches until Close.
func (db *DB) writer() {
	defer close(db.writerDone)
	for {
		var first writeJob
		select {
		case first = <-db.jobs:
		case <-db.stopped:
			return
		}
		batch := []writeJob{first}
	fill:
		for len(batch) < maxBatch {
			select {
			case j := <-db.jobs:
				batch = append(batch, j)
			default:
				break fill
			}
		}
		db.runBatch(batch)
		db.catchUpCheckpoint()
	}
}

// runBatch runs the jobs of a batch in one transaction, each in its own
// savepoint, and commits what succeeded. A job whose caller left before it
// started is not run. When SQLite rolls the whole transaction back under a
// job, the jobs that ran before it are answered errBatchLost and the ones
// after it run in a new transaction.
func (db *DB) runBatch(batch []writeJob) {
	if len(batch) == 1 {
		db.runAlone(batch[0])
		return
	}
	// The batch's own context: no caller's cancellation reaches the
	// statements of a transaction the others share.
	ctx := context.Background()
	results := make([]error, len(batch))
	finish := func(commitErr error) {
		for i, j := range batch {
			if results[i] == nil {
				results[i] = commitErr
			}
			j.done <- results[i]
		}
	}
	tx, err := db.begin(ctx)
	if err != nil {
		finish(err)
		return
	}
	defer tx.Rollback()
	sp, err := prepareSavepoint(ctx, tx, "job")
	if err != nil {
		finish(err)
		return
	}
	defer sp.close()
	ok := 0
	for i, j := range batch {
		if err := j.ctx.Err(); err != nil {
			results[i] = err
			continue
		}
		var lost bool
		results[i], lost = sp.run(tx, func() error { return runJob(j.ctx, tx, j.fn) })
		if lost {
			// SQLite rolled the whole transaction back: the jobs before
			// this one are gone, and a later SAVEPOINT would quietly open
			// a new transaction. Fail what ran, retry what did not.
			for k := range i {
				if results[k] == nil {
					results[k] = errBatchLost
				}
			}
			rest := batch[i+1:]
			batch, results = batch[:i+1], results[:i+1]
			tx.Rollback()
			finish(nil)
			if len(rest) > 0 {
				db.runBatch(rest)
			}
			return
		}
		if results[i] == nil {
			ok++
		}
	}
	if ok == 0 {
		finish(nil)
		return
	}
	if err := tx.indexNewReports(ctx); err != nil {
		finish(err)
		return
	}
	if err := tx.Tx.Commit(); err != nil {
		finish(fmt.Errorf("db: commit: %w", err))
		return
	}
	db.walWritten()
	if tx.recorded {
		db.nudgeEvents()
	}
	finish(nil)
}

// runAlone runs a lone job in its own transaction: it needs no savepoint,
// its failure rolls the transaction back.
func (db *DB) runAlone(j writeJob) {
	if err := j.ctx.Err(); err != nil {
		j.done <- err
		return
	}
	ctx := context.Background()
	tx, err := db.begin(ctx)
	if err != nil {
		j.done <- err
		return
	}
	defer tx.Rollback()
	if err := runJob(j.ctx, tx, j.fn); err != nil {
		j.done <- err
		return
	}
	if err := tx.indexNewReports(ctx); err != nil {
		j.done <- err
		return
	}
	if err := tx.Tx.Commit(); err != nil {
		j.done <- fmt.Errorf("db: commit: %w", err)
		return
	}
	db.walWritten()
	if tx.recorded {
		db.nudgeEvents()
	}
	j.done <- nil
}

// savepoint holds the three statements of a savepoint, prepared once per
// transaction (a plain Exec would parse them again for every job). The
// writer wraps each job of a batch in one ("job"); a job that takes several
// independent parts wraps each part in one of its own (Tx.Attempt:
// "attempt", one per mail of an intake batch), inside the job's.
type savepoint struct{ begin, release, rollback *sql.Stmt }

func prepareSavepoint(ctx context.Context, tx *Tx, name string) (*savepoint, error) {
	var sp savepoint
	var err error
	for _, s := range []struct {
		stmt **sql.Stmt
		sql  string
	}{{&sp.begin, `SAVEPOINT ` + name}, {&sp.release, `RELEASE ` + name}, {&sp.rollback, `ROLLBACK TO ` + name}} {
		if *s.stmt, err = tx.PrepareContext(ctx, s.sql); err != nil {
			sp.close()
			return nil, fmt.Errorf("db: prepare savepoint: %w", err)
		}
	}
	return &sp, nil
}

func (sp *savepoint) close() {
	for _, s := range []*sql.Stmt{sp.begin, sp.release, sp.rollback} {
		if s != nil {
			s.Close()
		}
	}
}

// run runs fn between SAVEPOINT and RELEASE, rolling back to the savepoint
// when fn fails or panics (the panic becomes its error). lost says the
// savepoint is gone: SQLite rolled back the whole transaction (it may on
// SQLITE_FULL, IOERR, NOMEM, BUSY and INTERRUPT), so nothing of it so far
// is in it any more.
func (sp *savepoint) run(tx *Tx, fn func() error) (err error, lost bool) {
	ctx := context.Background() // the transaction's statements, not a caller's
	if _, err := sp.begin.ExecContext(ctx); err != nil {
		return fmt.Errorf("db: savepoint: %w", err), true
	}
	if err = recovered(fn); err != nil {
		// What the transaction cached may come from the undone rows.
		tx.auditHead, tx.audience = nil, nil
		if _, rerr := sp.rollback.ExecContext(ctx); rerr != nil {
			err, lost = fmt.Errorf("%w (and rollback to savepoint: %v)", err, rerr), true
		}
	}
	if _, rerr := sp.release.ExecContext(ctx); rerr != nil {
		if err == nil {
			err = fmt.Errorf("db: release savepoint: %w", rerr)
		}
		lost = true
	}
	return err, lost
}

// recovered runs fn, turning a panic into its error.
func recovered(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("db: panic in write: %v", r)
		}
	}()
	return fn()
}

// runJob runs a job's fn, a panic becoming its error, and forgets what the
// transaction cached that fn's writes may have changed: the audit chain's
// head when they are undone, the audiences unless fn kept them
// (keepAudience).
//
// fn runs under a context that keeps the caller's values but not its
// cancellation: once a job runs inside the shared transaction it must
// finish. go-sqlite3 answers a cancelled context with sqlite3_interrupt,
// which would roll back every other caller's writes with it.
func runJob(ctx context.Context, tx *Tx, fn func(ctx context.Context, tx *Tx) error) error {
	tx.audienceKept, tx.audienceStash, tx.audience = false, tx.audience, nil
	err := recovered(func() error { return fn(context.WithoutCancel(ctx), tx) })
	if err != nil {
		tx.auditHead = nil // the rolled-back rows may have moved it
	}
	if err != nil || !tx.audienceKept {
		tx.audience = nil // what this job read or changed is not for the next
	}
	tx.audienceStash = nil
	return err
}

// indexNewReports is the step of every write transaction just before it
// commits: it adds the reports the transaction created to the search index
// (migration 0010: the insert trigger only lists them in
// reports_fts_pending), so that a committed report is always found by
// search. One statement indexes every report of a batch: FTS5 then writes
// one index segment per transaction rather than one per report, and no
// job's savepoint makes it flush its pending terms.
func (tx *Tx) indexNewReports(ctx context.Context) error {
	if err := tx.indexInserts(ctx); err != nil { // fts_flush.go
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM reports_fts_pending`); err != nil {
		return fmt.Errorf("db: index new reports: %w", err)
	}
	return nil
}

// indexPending adds the listed reports to the on-disk index. The list
// leads (CROSS JOIN): it is empty or holds a batch's reports, but it has
// no statistics, so once ANALYZE has run (disclose demo runs it) the
// planner guessed it large and scanned every report at every commit
// (disclose seal of 100,000 demo reports: 17 reports a second instead of
// about 170).
const indexPending = `INSERT INTO reports_fts (rowid, title, asset, description, steps, impact, scope)
	SELECT r.id, r.title, r.asset, r.description, r.steps, r.impact, r.scope
	FROM reports_fts_pending p CROSS JOIN reports r ON r.id = p.id WHERE r.sealed = 0 ORDER BY p.id`

// keepAudience says that the running job changes nobody's membership,
// notification preferences, account or webhooks, so what it read of a
// program's audience (audienceOf) may serve the next job of the batch that
// says so too. Submissions and mail intake say it: under load they share
// transactions, and each would otherwise read the same members again.
func (tx *Tx) keepAudience() {
	if tx.audienceKept {
		return
	}
	tx.audienceKept, tx.audience = true, tx.audienceStash
	if tx.audience == nil {
		tx.audience = map[int64]*audience{}
	}
}

// exec is Update for one statement of housekeeping (touching or ending a
// session).
func (db *DB) exec(ctx context.Context, query string, args ...any) error {
	return db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		_, err := tx.ExecContext(ctx, query, args...)
		return err
	})
}
