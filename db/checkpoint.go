package db

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"
)

// The write-ahead log is copied into the database file (checkpointed) by a
// goroutine of its own, on a connection of its own, not by the writer.
//
// SQLite's default is an automatic checkpoint inside the COMMIT that takes
// the log past 1,000 pages: every few batches one caller's commit also
// synced the log, wrote back every page the log held and synced the file,
// and no other write ran meanwhile. At a million reports those pages lie
// all over a 4.6 GB file. The writer connection now has
// wal_autocheckpoint off (writerConnect); after each commit it nudges the
// checkpointer, which waits checkpointEvery, so that the pages of many
// commits are written back together (a page rewritten by each of them is
// written once), and runs a PASSIVE checkpoint, which never blocks the
// writer or a reader.
//
// Nothing acknowledged depends on it: a commit is in the log when Update
// returns, as before, and a checkpoint only copies committed pages;
// SQLite's checkpoint is safe to interrupt at any point (a crash replays
// the log at the next open).
//
// The log restarts from its beginning only once a checkpoint copied all
// of it and a write transaction then begins. Under steady writes a
// checkpoint running beside the writer never quite catches up (the writer
// appends while it copies), so the log would grow without end. When a
// checkpoint leaves the log over walRestartPages, the writer itself runs a
// PASSIVE checkpoint between two batches (catchUpCheckpoint): it copies
// only what the last background checkpoint had not, and the next batch
// starts the log again from its beginning. A reader that holds an old
// snapshot (a long backup, Litestream) keeps the log from restarting,
// as it always did; journal_size_limit gives the file back once it
// restarts.
const checkpointEvery = 250 * time.Millisecond

// walRestartMin and walRestartMax bound the log's size, in pages, above
// which the writer catches a checkpoint up itself (walRestartPages): 8,192
// pages (32 MiB with 4 KiB pages) up to 32,768 (128 MiB). Each catch-up
// copies what the background checkpoint had not yet, about a quarter second
// of writes, and syncs the file on the writer's time; on a large file that
// sync waits for the background's scattered pages. At a million reports
// (4.8 GB) catch-ups past 8,192 pages cost mail intake 46-48 µs of writer
// time per mail (25 in 20,000 mails); past 32,768, 17-20 µs (8). On a small
// file a larger log only costs disk: a burst of writes left a 14 MiB
// database a 105-130 MiB log (session-8 review). Variables: tests lower
// them.
var walRestartMin, walRestartMax int64 = 8192, 32768

// walRestartPages is the catch-up threshold for a database of pages pages:
// a 32nd of the file, within walRestartMin and walRestartMax, so the log
// stays small beside a small file and catch-ups rare beside a large one.
// The log can pass it by what the writer appends while the background
// checkpoint runs (up to 213 MiB at 32,768 pages, measured); a long reader
// (a backup, Litestream) keeps it from restarting at all, as before.
func walRestartPages(pages int64) int64 {
	return min(max(pages/32, walRestartMin), walRestartMax)
}

// walSizeLimit is the writer's journal_size_limit (bytes) for a catch-up
// threshold of restart pages: a log that grew past it is cut back to it when
// it restarts. Twice the threshold, so that a log restarting under steady
// writes is not shrunk only to grow again; 64 MiB on a small database, as
// before walRestartPages grew with the file.
func walSizeLimit(restart int64) int64 { return 2 * restart * 4096 }

// startCheckpointer opens the checkpointer's connection and starts it;
// Close stops it.
func (db *DB) startCheckpointer() error {
	conn, err := sql.Open("sqlite3", dsn(db.Path, false))
	if err != nil {
		return fmt.Errorf("db: open %s for checkpoints: %w", db.Path, err)
	}
	conn.SetMaxOpenConns(1)
	conn.SetConnMaxIdleTime(0)
	db.ckpt = conn
	db.walKick = make(chan struct{}, 1)
	db.ckptDone = make(chan struct{})
	go db.checkpointer()
	return nil
}

// walWritten is the writer's nudge after a commit: a checkpoint is due
// within checkpointEvery. It never waits.
func (db *DB) walWritten() {
	if db.walKick == nil || db.bulkLoading.Load() {
		return
	}
	select {
	case db.walKick <- struct{}{}:
	default:
	}
}

// checkpointer runs a PASSIVE checkpoint at most every checkpointEvery
// while commits come, and none while there are none.
func (db *DB) checkpointer() {
	defer close(db.ckptDone)
	var lastErr string
	for {
		select {
		case <-db.walKick:
		case <-db.stopped:
			return
		}
		t := time.NewTimer(checkpointEvery)
		select {
		case <-t.C:
		case <-db.stopped:
			t.Stop()
			return
		}
		var busy, logPages, copied int
		var filePages int64
		db.ckptMu.Lock()
		if db.bulkLoading.Load() {
			db.ckptMu.Unlock()
			continue
		}
		err := db.ckpt.QueryRowContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &logPages, &copied)
		if err == nil {
			err = db.ckpt.QueryRowContext(context.Background(), `PRAGMA page_count`).Scan(&filePages)
		}
		db.ckptMu.Unlock()
		if err != nil {
			// The next commit's nudge tries again; say so once per
			// kind of failure, not four times a second.
			if err.Error() != lastErr {
				slog.Warn("db: checkpoint of the write-ahead log failed; retrying after the next write", "error", err)
			}
			lastErr = err.Error()
			continue
		}
		lastErr = ""
		restart := walRestartPages(filePages)
		db.walRestart.Store(restart)
		if int64(logPages) > restart {
			db.walLong.Store(true)
		}
	}
}

// catchUpCheckpoint runs on the writer between batches when the last
// background checkpoint found the log over walRestartPages: it sets the
// writer's journal_size_limit for the current threshold (walSizeLimit),
// then a PASSIVE
// checkpoint on the writer's own connection, while no write can append,
// copies the rest of the log, so that the next batch restarts it.
func (db *DB) catchUpCheckpoint() {
	if !db.walLong.CompareAndSwap(true, false) {
		return
	}
	// Never wait for a background checkpoint under way: try again
	// after the next batch.
	if !db.ckptMu.TryLock() {
		db.walLong.Store(true)
		return
	}
	defer db.ckptMu.Unlock()
	if restart := db.walRestart.Load(); restart != db.walLimitFor {
		if _, err := db.write.ExecContext(context.Background(), fmt.Sprintf(`PRAGMA journal_size_limit = %d`, walSizeLimit(restart))); err != nil {
			slog.Warn("db: journal size limit", "error", err)
		} else {
			db.walLimitFor = restart
		}
	}
	if _, err := db.write.ExecContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`); err != nil {
		slog.Warn("db: checkpoint of the write-ahead log failed", "error", err)
	}
	db.catchUps.Add(1)
}

// holdCheckpoints stops checkpoints and closes the checkpointer's
// connection for a bulk load, which leaves WAL mode (BulkLoad): an open
// connection in WAL mode keeps the file in it. A checkpoint under way ends
// first.
func (db *DB) holdCheckpoints() {
	db.bulkLoading.Store(true)
	if db.ckpt == nil {
		return
	}
	db.ckptMu.Lock()
	db.ckpt.SetMaxIdleConns(0)
	db.ckptMu.Unlock()
}

// resumeCheckpoints ends holdCheckpoints.
func (db *DB) resumeCheckpoints() {
	if db.ckpt != nil {
		db.ckpt.SetMaxIdleConns(1)
	}
	db.bulkLoading.Store(false)
}

// stopCheckpointer waits for the checkpointer to end (db.stopped is
// closed) and closes its connection.
func (db *DB) stopCheckpointer() error {
	if db.ckpt == nil {
		return nil
	}
	<-db.ckptDone
	return db.ckpt.Close()
}
