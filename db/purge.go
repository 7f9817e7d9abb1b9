package db

import (
	"context"
	"errors"
	"fmt"
)

// AnonymisedTitle replaces the title of an anonymised report.
const AnonymisedTitle = "[anonymised]"

// PurgeResult counts what one retention run did.
type PurgeResult struct {
	Due     int                    // disposals the rules made due
	Done    map[DisposalAction]int // carried out (or, in a dry run, that would be)
	Skipped int                    // no longer due when their turn came (a hold, a reopen)
	Failed  int
	// WALKept is set when something was disposed of but the write-ahead log
	// could not be emptied at once (a reader, such as Litestream, held it):
	// older copies of the disposed pages stay in it until its next
	// checkpoint resets it.
	WALKept bool
}

// Purge applies the retention rules at db.Now: each disposal in its own
// transaction with its audit row, so an error or a shutdown between reports
// leaves every earlier one complete. progress, when set, is told about each
// disposal (err is nil when it succeeded). With dryRun nothing is written.
// It stops between reports when ctx is cancelled. When anything was
// disposed of, it ends by emptying the write-ahead log (clearWAL), which
// still holds the pages as they were before.
func (db *DB) Purge(ctx context.Context, dryRun bool, progress func(d Disposal, done bool, err error)) (_ *PurgeResult, err error) {
	due, err := db.RetentionDue(ctx)
	if err != nil {
		return nil, err
	}
	res := &PurgeResult{Due: len(due), Done: map[DisposalAction]int{}}
	disposed := false
	defer func() {
		if disposed {
			// Also after a cancelled run: what was disposed of so far must
			// not stay readable in the log.
			cleared, cerr := db.clearWAL(context.WithoutCancel(ctx))
			res.WALKept = !cleared
			err = errors.Join(err, cerr)
		}
	}()
	var errs []error
	for _, d := range due {
		if err := ctx.Err(); err != nil {
			return res, fmt.Errorf("db: purge stopped: %w", err)
		}
		done, err := true, error(nil)
		if !dryRun {
			done, err = db.dispose(ctx, d)
			disposed = disposed || (done && err == nil)
		}
		switch {
		case err != nil:
			res.Failed++
			errs = append(errs, fmt.Errorf("%s %s: %w", d.Action, d.Ref, err))
		case done:
			res.Done[d.Action]++
		default:
			res.Skipped++
		}
		if progress != nil {
			progress(d, done, err)
		}
	}
	return res, errors.Join(errs...)
}

// dispose carries out one disposal if it is still due.
func (db *DB) dispose(ctx context.Context, d Disposal) (bool, error) {
	var done bool
	err := db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		done = false
		var sealed []bool
		rows, err := tx.QueryContext(ctx, `SELECT r.sealed FROM reports r WHERE r.id = ? AND r.program_id = ? AND r.legal_hold = 0`+incidentHold+` AND `+
			disposalCond(d.Action), d.ReportID, d.programID, d.cutoff)
		if err != nil {
			return fmt.Errorf("db: recheck disposal: %w", err)
		}
		for rows.Next() {
			var s bool
			if err := rows.Scan(&s); err != nil {
				rows.Close()
				return fmt.Errorf("db: recheck disposal: %w", err)
			}
			sealed = append(sealed, s)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("db: recheck disposal: %w", err)
		}
		if len(sealed) == 0 {
			return nil
		}
		var detail string
		switch d.Action {
		case DisposeDelete:
			err = tx.deleteReport(ctx, d.ReportID)
			detail = "spam closed more than " + count(d.Days, "day", "days") + " ago"
		case DisposeAnonymise:
			err = tx.anonymiseReport(ctx, d.ReportID)
			detail = "finished more than " + count(d.Days, "day", "days") + " ago"
		case DisposeAttachments:
			var files, mails int64
			files, mails, err = tx.dropAttachments(ctx, d.ReportID)
			detail = fmt.Sprintf("%s, %s; finished more than %s ago", count(files, "attachment", "attachments"), count(mails, "raw mail", "raw mails"), count(d.Days, "day", "days"))
		default:
			err = fmt.Errorf("db: unknown disposal %q", d.Action)
		}
		if err != nil {
			return err
		}
		done = true
		return tx.audit(ctx, ActorSystem, "retention."+string(d.Action), d.Ref, detail)
	})
	if err != nil {
		return false, fmt.Errorf("db: dispose: %w", err)
	}
	// The in-memory index of sealed reports follows through the change
	// list of migration 0018 (the next search applies it), not a rebuild.
	return done, nil
}

// clearWALWait is how long clearWAL waits, in milliseconds, for readers to
// leave the log. A checkpoint that waits holds up writers meanwhile, so it
// is short; under Litestream, whose long read transaction it would wait
// for, it gives up without resetting the log, and Litestream's position is
// never lost.
const clearWALWait = 250

// clearWAL checkpoints the whole write-ahead log into the database file and
// truncates it to nothing. SQLite reuses the log from its start after a
// checkpoint without shortening the file, so the page images it holds from
// before a disposal (report text, raw mail) would otherwise stay readable
// in it until later writes happen to cover them. It reports whether the log
// was emptied; a reader in the way leaves it for the next checkpoint.
func (db *DB) clearWAL(ctx context.Context) (bool, error) {
	db.ckptMu.Lock() // not beside the checkpointer's own (checkpoint.go)
	defer db.ckptMu.Unlock()
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return false, fmt.Errorf("db: clear wal: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`PRAGMA busy_timeout = %d`, clearWALWait)); err != nil {
		return false, fmt.Errorf("db: clear wal: %w", err)
	}
	var busy, logFrames, done int
	err = conn.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logFrames, &done)
	// Back to the connection's own wait (dsn).
	if _, rerr := conn.ExecContext(ctx, `PRAGMA busy_timeout = `+busyTimeoutMillis); rerr != nil && err == nil {
		err = rerr
	}
	if err != nil {
		return false, fmt.Errorf("db: clear wal: %w", err)
	}
	return busy == 0 && logFrames == 0, nil
}
