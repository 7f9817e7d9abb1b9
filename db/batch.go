package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// maxBatch bounds how many writes share one commit.
const maxBatch = 128

// writeJob is one caller's part of a shared write transaction.
type writeJob struct {
	ctx  context.Context
	fn   func(ctx context.Context, tx *Tx) error
	done chan error
}

var errClosed = errors.New("db: closed")

// batched runs fn inside a write transaction shared with whatever other
// callers are waiting at that moment (group commit), and returns only after
// that transaction committed. fn's failure undoes its own writes and no one
// else's (see runBatch), and fn may run a second time when another job of its
// batch fails, so it must write only through tx. A lone caller commits at
// once; under load, many submissions share one WAL commit and one FTS5
// segment. Jobs must not change program members, notification preferences or
// webhooks: the batch reads them once (tx.audience).
func (db *DB) batched(ctx context.Context, fn func(ctx context.Context, tx *Tx) error) error {
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

// writer is the one goroutine that runs batched jobs.
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
	}
}

// runBatch commits the jobs of a batch in one transaction. It first runs them
// one after the other with no savepoints, the common case in which every job
// succeeds; only when one fails does it roll the transaction back and run
// the batch again, each job in its own savepoint (runIsolated), so that the
// failure stays that job's alone. Savepoints are not free: FTS5 writes its
// pending index data out at every SAVEPOINT, so a savepoint per job would
// write one index segment per report instead of one per batch.
func (db *DB) runBatch(batch []writeJob) {
	if db.runOptimistic(batch) {
		return
	}
	db.runIsolated(batch)
}

// runOptimistic runs every job of batch in one transaction without
// savepoints and commits. It reports false, having rolled back and
// answered no one, when a job failed or panicked, so that the caller runs
// the batch again with each job isolated. A lone job needs no second run:
// its own error is its answer.
func (db *DB) runOptimistic(batch []writeJob) bool {
	ctx := context.Background()
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return false
	}
	tx.audience = map[int64]*audience{}
	defer tx.Rollback()
	for _, j := range batch {
		if j.ctx.Err() != nil {
			return false
		}
		if err := runJob(j.ctx, tx, j.fn); err != nil {
			if len(batch) == 1 {
				tx.Rollback()
				j.done <- err
				return true
			}
			return false
		}
	}
	if err = tx.Commit(); err != nil {
		err = fmt.Errorf("db: commit batch: %w", err)
	}
	for _, j := range batch {
		j.done <- err
	}
	return true
}

// runJob runs fn under a context that keeps the caller's values but not its
// cancellation (see savepoint.run), turning a panic into an error.
func runJob(ctx context.Context, tx *Tx, fn func(ctx context.Context, tx *Tx) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("db: panic in write: %v", r)
		}
	}()
	return fn(context.WithoutCancel(ctx), tx)
}

// runIsolated runs each job of batch in its own savepoint of one
// transaction: a job that fails rolls back its own writes and no one else's.
func (db *DB) runIsolated(batch []writeJob) {
	results := make([]error, len(batch))
	finish := func(commitErr error) {
		for i, j := range batch {
			if results[i] == nil {
				results[i] = commitErr
			}
			j.done <- results[i]
		}
	}
	ctx := context.Background()
	tx, err := db.BeginTx(ctx)
	if err != nil {
		finish(err)
		return
	}
	defer tx.Rollback()
	tx.audience = map[int64]*audience{}
	sp, err := prepareSavepoint(ctx, tx)
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
		results[i], lost = sp.run(j.ctx, tx, j.fn)
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
				db.runIsolated(rest)
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
	if err := tx.Commit(); err != nil {
		finish(fmt.Errorf("db: commit batch: %w", err))
		return
	}
	finish(nil)
}

// errBatchLost answers the jobs of a shared transaction that SQLite rolled
// back because of another job's failure (disk full, I/O error, interrupt).
var errBatchLost = errors.New("db: the shared write transaction was rolled back; nothing of this write was stored")

// savepoint holds the three statements of a job's savepoint, prepared once
// per batch (a plain Exec would parse them again for every job).
type savepoint struct{ begin, release, rollback *sql.Stmt }

func prepareSavepoint(ctx context.Context, tx *Tx) (*savepoint, error) {
	var sp savepoint
	var err error
	for _, s := range []struct {
		stmt **sql.Stmt
		sql  string
	}{{&sp.begin, `SAVEPOINT job`}, {&sp.release, `RELEASE job`}, {&sp.rollback, `ROLLBACK TO job`}} {
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
// when fn fails or panics. lost says the savepoint is gone: SQLite rolled
// back the whole transaction (it may on SQLITE_FULL, IOERR, NOMEM, BUSY
// and INTERRUPT), so nothing of the batch so far is in it any more.
//
// fn runs under a context that keeps the caller's values but not its
// cancellation: once a job runs inside the shared transaction it must
// finish. go-sqlite3 answers a cancelled context with sqlite3_interrupt,
// which would roll back every other caller's writes with it.
func (sp *savepoint) run(ctx context.Context, tx *Tx, fn func(ctx context.Context, tx *Tx) error) (err error, lost bool) {
	ctx = context.WithoutCancel(ctx)
	if _, err := sp.begin.ExecContext(ctx); err != nil {
		return fmt.Errorf("db: savepoint: %w", err), true
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("db: panic in write: %v", r)
		}
		if err != nil {
			tx.auditHead = nil // the rolled-back rows may have moved it
			if _, rerr := sp.rollback.ExecContext(context.Background()); rerr != nil {
				err, lost = fmt.Errorf("%w (and rollback to savepoint: %v)", err, rerr), true
			}
		}
		if _, rerr := sp.release.ExecContext(context.Background()); rerr != nil {
			if err == nil {
				err = fmt.Errorf("db: release savepoint: %w", rerr)
			}
			lost = true
		}
	}()
	return fn(ctx, tx), false
}
