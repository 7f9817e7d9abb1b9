package db

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"runtime"
	"time"

	"golang.org/x/sync/errgroup"
)

// searchCatchUp is how many new or changed sealed reports a search opens
// itself before it answers; more are left to a background worker and the
// search says it is incomplete. Opening one costs a fraction of a
// millisecond (one curve25519 operation for its fields).
const searchCatchUp = 64

// scanChunk is how many reports one read of the build takes; each read is
// a short query of its own, so a build never holds a read snapshot (and so
// the WAL) for its whole length.
const scanChunk = 256

// errStale says the index a worker fills was dropped meanwhile.
var errStale = errors.New("db: the in-memory index was dropped")

// sealedRow is one report as read for the index: its searchable fields,
// still sealed until opened.
type sealedRow struct {
	id, program                       int64
	sealed                            bool
	title, asset, desc, steps, impact string
	opened                            bool
}

// StartSealedIndex builds the in-memory index of sealed reports in the
// background, when sealing is on, the team key is unlocked and there is no
// index yet; progress
// is in SealedIndex. The unlock (dashboard or passphrase at start) calls it;
// a search starts it too if it finds none.
func (db *DB) StartSealedIndex() {
	if db.sealer == nil || !db.sealOn || !db.Unlocked() {
		return
	}
	f := &db.fts
	f.mu.Lock()
	defer f.mu.Unlock()
	select {
	case <-db.stopped:
		return
	default:
	}
	if f.conn != nil || f.err != nil {
		return
	}
	// What the scan covers: the reports there are now and the changes
	// listed so far. Later ones are caught up with by id and seq.
	ctx := context.Background()
	var maxID, seq, total int64
	if err := db.read.QueryRowContext(ctx, `SELECT COALESCE((SELECT MAX(id) FROM reports), 0),
		COALESCE((SELECT MAX(seq) FROM sealed_search_changes), 0), (SELECT COALESCE(SUM(n), 0) FROM report_state_counts)`).Scan(&maxID, &seq, &total); err != nil {
		f.err = fmt.Errorf("db: index sealed reports: %w", err)
		return
	}
	conn, err := openMemFTS(ctx)
	if err != nil {
		f.err = err
		return
	}
	f.conn, f.started, f.finished, f.ended = conn, time.Now(), time.Time{}, make(chan struct{})
	f.maxID, f.logSeq, f.total = maxID, seq, total
	gen := f.gen
	f.startWorkerLocked(func(ctx context.Context) {
		err := db.scanSealed(ctx, gen, maxID)
		f.mu.Lock()
		if f.gen == gen {
			if err != nil && !errors.Is(err, errStale) && ctx.Err() == nil {
				f.err = err
			} else if err == nil {
				f.scanned, f.finished, f.done = true, time.Now(), f.total
			}
		}
		f.mu.Unlock()
		if err == nil {
			// What changed while the scan ran.
			if _, err := db.catchUpSealedIndex(ctx, 0); err != nil && ctx.Err() == nil {
				f.mu.Lock()
				if f.gen == gen {
					f.err = err
				}
				f.mu.Unlock()
			}
		}
		f.mu.Lock()
		if f.gen == gen {
			f.endScanLocked()
		}
		f.mu.Unlock()
	})
}

// startWorkerLocked runs fn in the background for the current index; the
// caller holds f.mu.
func (f *memFTS) startWorkerLocked(fn func(ctx context.Context)) {
	ctx, cancel := context.WithCancel(context.Background())
	gen := f.gen
	f.working, f.cancel = true, cancel
	f.workers.Add(1)
	go func() {
		defer f.workers.Done()
		defer cancel()
		fn(ctx)
		f.mu.Lock()
		if f.gen == gen {
			f.working, f.cancel = false, nil
		}
		f.mu.Unlock()
	}()
}

// scanSealed fills the index with the sealed reports up to maxID (those
// there were when the build started): one goroutine reads the rows in
// chunks, one per core opens them (one curve25519 operation per report),
// and one inserts them.
func (db *DB) scanSealed(ctx context.Context, gen uint64, maxID int64) error {
	f := &db.fts
	chunk := cmp.Or(f.chunk, scanChunk)
	g, ctx := errgroup.WithContext(ctx)
	workers := max(1, runtime.GOMAXPROCS(0))
	read := make(chan []*sealedRow, workers)
	opened := make(chan []*sealedRow, workers)
	g.Go(func() error {
		defer close(read)
		for after := int64(0); after < maxID; {
			rows, err := db.readSealedRows(ctx, `id > ? AND id <= ?`, []any{after, maxID}, chunk)
			if err != nil {
				return err
			}
			if len(rows) == 0 {
				return nil
			}
			after = rows[len(rows)-1].id
			select {
			case read <- rows:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	})
	g.Go(func() error {
		defer close(opened)
		og, ctx := errgroup.WithContext(ctx)
		for range workers {
			og.Go(func() error {
				for rows := range read {
					if err := db.openSealedRows(rows); err != nil {
						return err
					}
					select {
					case opened <- rows:
					case <-ctx.Done():
						return ctx.Err()
					}
				}
				return nil
			})
		}
		return og.Wait()
	})
	g.Go(func() error {
		for rows := range opened {
			if err := db.indexSealedRows(ctx, gen, rows, true); err != nil {
				return err
			}
			if f.afterChunk != nil {
				f.afterChunk()
			}
		}
		return nil
	})
	return g.Wait()
}

// readSealedRows reads up to limit reports matching where, in id order, with
// the searchable text of the sealed ones.
func (db *DB) readSealedRows(ctx context.Context, where string, args []any, limit int) ([]*sealedRow, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id, program_id, sealed, IIF(sealed, title, ''), IIF(sealed, asset, ''),
		IIF(sealed, description, ''), IIF(sealed, steps, ''), IIF(sealed, impact, '') FROM reports WHERE `+where+` ORDER BY id LIMIT ?`,
		append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("db: read sealed reports: %w", err)
	}
	defer rows.Close()
	var out []*sealedRow
	for rows.Next() {
		r := &sealedRow{}
		if err := rows.Scan(&r.id, &r.program, &r.sealed, &r.title, &r.asset, &r.desc, &r.steps, &r.impact); err != nil {
			return nil, fmt.Errorf("db: read sealed reports: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("db: read sealed reports: %w", err)
	}
	return out, nil
}

// openSealedRows opens the sealed rows' text in place. A row that does not
// open while the key is unlocked is damaged or sealed to another key: it
// stays out of the index and is counted. The key locked meanwhile stops the
// work (the lock drops the index anyway).
func (db *DB) openSealedRows(rows []*sealedRow) error {
	for _, r := range rows {
		if !r.sealed {
			continue
		}
		r.opened = db.openTexts(&r.title, &r.asset, &r.desc, &r.steps, &r.impact)
		if !r.opened && !db.Unlocked() {
			return errLockedMidway
		}
	}
	return nil
}

// errLockedMidway says the team key was locked while sealed text was opened.
var errLockedMidway = errors.New("db: the team key was locked while the index was built")

// indexSealedRows puts opened rows into the index (replacing what it held
// for them) and takes unsealed or unreadable ones out, in one transaction.
// counted adds them to the scan's progress.
func (db *DB) indexSealedRows(ctx context.Context, gen uint64, rows []*sealedRow, counted bool) error {
	f := &db.fts
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.gen != gen || f.conn == nil {
		return errStale
	}
	tx, err := f.conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("db: index sealed reports: %w", err)
	}
	defer tx.Rollback()
	ins, err := tx.PrepareContext(ctx, `INSERT OR REPLACE INTO sealed_fts (rowid, title, asset, description, steps, impact, program_id, scope)
		VALUES (?, ?, ?, ?, ?, ?, ?, 'p' || ?7)`)
	if err != nil {
		return fmt.Errorf("db: index sealed reports: %w", err)
	}
	defer ins.Close()
	var bad int64
	for _, r := range rows {
		if r.sealed && r.opened {
			_, err = ins.ExecContext(ctx, r.id, r.title, r.asset, r.desc, r.steps, r.impact, r.program)
		} else if !counted {
			// A change: the report was unsealed, purged or deleted.
			_, err = tx.ExecContext(ctx, `DELETE FROM sealed_fts WHERE rowid = ?`, r.id)
		}
		if err != nil {
			return fmt.Errorf("db: index sealed report %d: %w", r.id, err)
		}
		if r.sealed && !r.opened {
			bad++
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("db: index sealed reports: %w", err)
	}
	f.unreadable += bad
	if counted {
		f.done += int64(len(rows))
	}
	return nil
}
