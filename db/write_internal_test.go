package db

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
)

// openScratch opens a database with a scratch table the jobs below write.
func openScratch(t *testing.T) *DB {
	t.Helper()
	ctx := context.Background()
	d, err := Open(ctx, filepath.Join(t.TempDir(), "d.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if _, err := d.write.ExecContext(ctx, `CREATE TABLE scratch (job TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	return d
}

func insertJob(name string) func(ctx context.Context, tx *Tx) error {
	return func(ctx context.Context, tx *Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO scratch (job) VALUES (?)`, name)
		return err
	}
}

// checkAcknowledgedStored runs a batch and checks the promise the writer
// makes: a job told nil is committed, and a job told an error left nothing
// behind (a researcher told "not stored" sends again and would otherwise
// get a second report, or a receipt code that was never shown).
func checkAcknowledgedStored(t *testing.T, d *DB, names []string, batch []writeJob) {
	t.Helper()
	d.runBatch(batch)
	for i, j := range batch {
		err := <-j.done
		var n int
		if qerr := d.read.QueryRow(`SELECT COUNT(*) FROM scratch WHERE job = ?`, names[i]).Scan(&n); qerr != nil {
			t.Fatal(qerr)
		}
		if err == nil && n != 1 {
			t.Errorf("job %s was acknowledged but %d rows of it are stored", names[i], n)
		}
		if err != nil && n != 0 {
			t.Errorf("job %s was told %q but %d rows of it are stored", names[i], err, n)
		}
	}
}

// TestBatchCallerGoneMidStatement: a researcher whose connection drops while
// their submission runs inside a shared transaction must not undo the
// others. go-sqlite3 answers a cancelled context with sqlite3_interrupt,
// and SQLite answers an interrupted INSERT by rolling back the whole
// transaction, so the jobs acknowledged before it were lost.
func TestBatchCallerGoneMidStatement(t *testing.T) {
	d := openScratch(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	slow := func(jctx context.Context, tx *Tx) error {
		go cancel() // the caller goes away while the statement runs
		_, err := tx.ExecContext(jctx, `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000000)
			INSERT INTO scratch (job) SELECT 'slow' FROM c WHERE x = 2000000`)
		return err
	}
	names := []string{"before", "slow", "after"}
	batch := []writeJob{
		{ctx: context.Background(), fn: insertJob("before"), done: make(chan error, 1)},
		{ctx: ctx, fn: slow, done: make(chan error, 1)},
		{ctx: context.Background(), fn: insertJob("after"), done: make(chan error, 1)},
	}
	checkAcknowledgedStored(t, d, names, batch)
}

// TestBatchTransactionLostMidway: SQLite may roll back the whole
// transaction on SQLITE_FULL, IOERR, NOMEM, BUSY or INTERRUPT. The next
// SAVEPOINT then silently opens a new transaction and COMMIT succeeds for
// the jobs after it only; the jobs before must not be acknowledged.
func TestBatchTransactionLostMidway(t *testing.T) {
	d := openScratch(t)
	lose := func(ctx context.Context, tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `ROLLBACK`); err != nil { // what SQLite does by itself on those errors
			return err
		}
		return fmt.Errorf("database or disk is full")
	}
	names := []string{"before", "lost", "after"}
	batch := []writeJob{
		{ctx: context.Background(), fn: insertJob("before"), done: make(chan error, 1)},
		{ctx: context.Background(), fn: lose, done: make(chan error, 1)},
		{ctx: context.Background(), fn: insertJob("after"), done: make(chan error, 1)},
	}
	checkAcknowledgedStored(t, d, names, batch)
	// The writer is usable afterwards.
	if err := d.Update(context.Background(), insertJob("next")); err != nil {
		t.Fatal(err)
	}
}

// TestBatchPanicKeepsOthers: a panicking job fails alone.
func TestBatchPanicKeepsOthers(t *testing.T) {
	d := openScratch(t)
	boom := func(ctx context.Context, tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO scratch (job) VALUES ('boom')`); err != nil {
			return err
		}
		panic("boom")
	}
	batch := []writeJob{
		{ctx: context.Background(), fn: insertJob("before"), done: make(chan error, 1)},
		{ctx: context.Background(), fn: boom, done: make(chan error, 1)},
		{ctx: context.Background(), fn: insertJob("after"), done: make(chan error, 1)},
	}
	d.runBatch(batch)
	var errs []error
	for _, j := range batch {
		errs = append(errs, <-j.done)
	}
	if errs[0] != nil || errs[2] != nil || errs[1] == nil {
		t.Fatalf("got %v, want only the panicking job to fail", errs)
	}
	var n int
	d.read.QueryRow(`SELECT COUNT(*) FROM scratch`).Scan(&n)
	if got, want := n, 2; got != want {
		t.Fatalf("got %d rows, want %d", got, want)
	}
}

// TestBatchRunsEachJobOnce: a job that fails in a shared transaction is the
// only one undone, and no other job runs a second time (the writer used to
// run a batch again, job by job, when one of it failed, so every job had to
// bear running twice).
func TestBatchRunsEachJobOnce(t *testing.T) {
	d := openScratch(t)
	runs := map[string]int{}
	counted := func(name string, fail bool) func(ctx context.Context, tx *Tx) error {
		return func(ctx context.Context, tx *Tx) error {
			runs[name]++
			if err := insertJob(name)(ctx, tx); err != nil {
				return err
			}
			if fail {
				return fmt.Errorf("job %s refuses", name)
			}
			return nil
		}
	}
	names := []string{"before", "failing", "after"}
	batch := []writeJob{
		{ctx: context.Background(), fn: counted("before", false), done: make(chan error, 1)},
		{ctx: context.Background(), fn: counted("failing", true), done: make(chan error, 1)},
		{ctx: context.Background(), fn: counted("after", false), done: make(chan error, 1)},
	}
	checkAcknowledgedStored(t, d, names, batch)
	for _, name := range names {
		if got := runs[name]; got != 1 {
			t.Errorf("job %s ran %d times, want once", name, got)
		}
	}
}

// TestBatchAudienceNotKeptPastAChange: a batch caches whether a program
// has webhooks for the submissions in it; a job of the same batch that adds
// a webhook must not leave the next submission without its delivery.
func TestBatchAudienceNotKeptPastAChange(t *testing.T) {
	ctx := context.Background()
	d := openInternal(t)
	p, _ := d.DefaultProgram(ctx)
	submit := func(title string) func(ctx context.Context, tx *Tx) error {
		return func(ctx context.Context, tx *Tx) error {
			tx.keepAudience()
			in := &NewReport{ProgramID: p.ID, Source: SourceWeb, Title: title, Description: "d"}
			in.Validate(DefaultLimits)
			_, err := tx.createReport(ctx, in, nil)
			return err
		}
	}
	addHook := func(ctx context.Context, tx *Tx) error {
		now := formatTime(tx.now)
		_, err := tx.ExecContext(ctx, `INSERT INTO webhooks (program_id, url, secret, created_at, updated_at) VALUES (?, 'https://hooks.example.org/x', 's', ?, ?)`, p.ID, now, now)
		return err
	}
	batch := []writeJob{
		{ctx: ctx, fn: submit("first"), done: make(chan error, 1)},
		{ctx: ctx, fn: addHook, done: make(chan error, 1)},
		{ctx: ctx, fn: submit("second"), done: make(chan error, 1)},
	}
	d.runBatch(batch)
	for _, j := range batch {
		if err := <-j.done; err != nil {
			t.Fatal(err)
		}
	}
	var n int
	if err := d.read.QueryRow(`SELECT COUNT(*) FROM webhook_deliveries`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("%d webhook deliveries, want 1: the second report's, to the webhook added before it", n)
	}
}

// TestUpdateCallerGoneWhileWaiting: a caller whose context ends while the
// writer is busy is answered at once, and its job never runs.
func TestUpdateCallerGoneWhileWaiting(t *testing.T) {
	d := openScratch(t)
	held, release := make(chan struct{}), make(chan struct{})
	go d.Update(context.Background(), func(context.Context, *Tx) error {
		close(held)
		<-release
		return nil
	})
	<-held
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran := false
	err := d.Update(ctx, func(context.Context, *Tx) error { ran = true; return nil })
	close(release)
	if !errors.Is(err, context.Canceled) || ran {
		t.Fatalf("err = %v, ran = %t; want context.Canceled and no run", err, ran)
	}
	if err := d.Update(context.Background(), insertJob("next")); err != nil {
		t.Fatal(err)
	}
}
