package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"syscall"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/views/wording"
)

// workers runs the background loops of serve (retention, the storage
// watchdog, and the mail workers once wired). Each stops when its context
// ends, between units of work; serve waits for all of them before closing
// the database.
type workers struct {
	log *slog.Logger
	wg  sync.WaitGroup
}

// Go runs f until it returns; a panic is logged and the loop restarted after
// a pause rather than taking the portal down.
func (w *workers) Go(ctx context.Context, name string, f func(ctx context.Context)) {
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		for ctx.Err() == nil {
			if !w.runOnce(ctx, name, f) {
				return
			}
			select {
			case <-ctx.Done():
			case <-time.After(time.Minute):
			}
		}
	}()
}

// runOnce reports whether f panicked.
func (w *workers) runOnce(ctx context.Context, name string, f func(ctx context.Context)) (panicked bool) {
	defer func() {
		if r := recover(); r != nil {
			w.log.Error("worker panicked; restarting in a minute", "worker", name, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			panicked = true
		}
	}()
	f(ctx)
	return false
}

// Wait blocks until every worker stopped.
func (w *workers) Wait() { w.wg.Wait() }

// retentionJob applies the retention rules now and then every interval.
func retentionJob(d *db.DB, log *slog.Logger, problems *db.Problems, every time.Duration) func(ctx context.Context) {
	return func(ctx context.Context) {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			res, err := d.Purge(ctx, false, nil)
			switch {
			case ctx.Err() != nil:
				return
			case err != nil:
				problems.Set("retention", "retention rules could not all be applied: "+err.Error())
			default:
				problems.Clear("retention")
			}
			if res != nil && res.Due > 0 {
				log.Info("retention applied", "due", res.Due, "deleted", res.Done[db.DisposeDelete], "anonymised", res.Done[db.DisposeAnonymise],
					"attachments_deleted", res.Done[db.DisposeAttachments], "skipped", res.Skipped, "failed", res.Failed, "wal_kept", res.WALKept)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}
}

// lowDiskBytes is the free space under which admins are warned, before
// writes start to fail.
const lowDiskBytes = 256 << 20

// storageWatchdog warns when the data directory's disk runs low and, while
// a storage problem is reported, probes a write to clear it once fixed.
func storageWatchdog(d *db.DB, dir string, problems *db.Problems, every time.Duration) func(ctx context.Context) {
	return func(ctx context.Context) {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			var st syscall.Statfs_t
			if err := syscall.Statfs(dir, &st); err == nil {
				free := st.Bavail * uint64(st.Bsize)
				if free < lowDiskBytes {
					problems.Set("disk-space", fmt.Sprintf("only %s free on the disk of %s: free space or grow the disk before intake stops", wording.Bytes(int64(free)), dir))
				} else {
					problems.Clear("disk-space")
				}
			}
			for _, p := range problems.List() {
				if p.Key == "storage" {
					if err := d.ProbeWrite(ctx); err == nil {
						problems.Clear("storage")
					}
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}
}

// reviewJob disables inactive accounts now and then every interval
// (DISCLOSE_INACTIVE_DISABLE).
func reviewJob(d *db.DB, log *slog.Logger, every time.Duration) func(ctx context.Context) {
	return func(ctx context.Context) {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			res, err := d.DisableInactive(ctx, reviewActor)
			switch {
			case ctx.Err() != nil && errors.Is(err, ctx.Err()):
				return
			case err != nil:
				log.Error("account review failed", "err", err)
			default:
				for _, u := range res.Disabled {
					log.Warn("account disabled after inactivity", "user_id", u.ID, "active_at", u.ActiveAt)
				}
				for _, u := range res.Kept {
					log.Warn("inactive last admin kept enabled", "user_id", u.ID, "active_at", u.ActiveAt)
				}
				log.Info("account review ran", "disabled", len(res.Disabled), "kept", len(res.Kept))
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}
}

// optimizeInterval is how often serve refreshes the planner's statistics.
const optimizeInterval = time.Hour

// optimizer is the part of the database optimizeJob uses.
type optimizer interface {
	Optimize(ctx context.Context) error
}

// optimizeJob runs PRAGMA optimize every interval (db.Optimize), as SQLite
// recommends for long-lived connections: a portal that grew from empty gets
// statistics and keeps them current without anyone running ANALYZE.
func optimizeJob(d optimizer, log *slog.Logger, every time.Duration) func(ctx context.Context) {
	return func(ctx context.Context) {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if err := d.Optimize(ctx); err != nil && ctx.Err() == nil {
				log.Warn("refreshing the query planner's statistics failed", "err", err)
			}
		}
	}
}
