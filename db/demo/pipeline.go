package demo

import (
	"context"
	"fmt"
	"runtime"
	"time"

	"github.com/disclose/disclose/db"
)

// aheadBatches is how many made batches wait for the writer. The generator
// (Go: text, times, ids, arguments) and the writer (SQLite) ran in turn on
// one goroutine; on two they overlap. With none waiting, the generator
// makes the next batch while the writer stores one and hands it over when
// the writer is free: two batches in memory at most. One more waiting
// gained nothing (the writer waited under 1 s for the generator in all of
// a 1,000,000-report demo) and cost memory.
const aheadBatches = 0

// pipeline makes the batches on a goroutine of their own and writes them,
// in order, as they come: the generator is one goroutine with one random
// source, so the same seed makes the same rows whatever the timing. The
// generator numbers the rows itself from the ids read here, and each
// batch checks them before it writes (genBatch.write).
func (g *demoGen) pipeline(ctx context.Context, d *db.DB, opt Options, res *Result) error {
	var first nextIDs
	err := d.Update(ctx, func(ctx context.Context, tx *db.Tx) error {
		var err error
		first, err = readNextIDs(ctx, tx)
		return err
	})
	if err != nil {
		return err
	}
	gctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan *genBatch, aheadBatches)
	var genErr error
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		defer close(batches)
		// The thread's CPU time is the generator's alone.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		cpu0 := threadCPU()
		defer func() { res.GenerateCPU = threadCPU() - cpu0 }()
		genErr = recovered(func() error {
			next := first
			for off := 0; off < opt.Reports; off += batch {
				b := g.batch(next, off, min(batch, opt.Reports-off))
				next = b.next
				select {
				case batches <- b:
				case <-gctx.Done():
					return gctx.Err()
				}
			}
			return nil
		})
	}()
	stop := func(err error) error {
		cancel()
		for range batches { // the generator stops at its next batch
		}
		<-ended
		return err
	}
	done := 0
	for {
		t := time.Now()
		b, ok := <-batches
		res.WaitTime += time.Since(t)
		if !ok {
			break
		}
		if err := ctx.Err(); err != nil { // Update might still take a job of a done ctx
			return stop(err)
		}
		t = time.Now()
		if err := writeBatch(ctx, d, b); err != nil {
			return stop(err)
		}
		res.WriteTime += time.Since(t)
		res.LongRefs = append(res.LongRefs, b.longRefs...)
		done += b.reports.n
		if opt.Progress != nil {
			opt.Progress(done, opt.Reports)
		}
	}
	<-ended
	if genErr != nil {
		return genErr
	}
	if done != opt.Reports { // the generator ended early: ctx ended
		return ctx.Err()
	}
	return nil
}

// recovered runs fn, a panic becoming its error: the generator's goroutine
// must end the pipeline, not the process.
func recovered(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("demo: panic in the generator: %v", r)
		}
	}()
	return fn()
}
