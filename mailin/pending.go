package mailin

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/disclose/disclose/db"
)

// PendingStore is what the pass over mail kept encrypted needs.
type PendingStore interface {
	PendingEncrypted(ctx context.Context, afterID int64, limit int) ([]db.PendingMail, error)
	WriteRawMail(ctx context.Context, id int64, w io.Writer) error
	CompletePending(ctx context.Context, entryID int64, in *db.InboundMail) error
}

// DecryptPending decrypts, from their kept raw bytes, the mails that came
// encrypted while the team key was locked, and puts their text, attachments
// and signature on their timeline entries. The unlock path and `serve`
// starting unlocked call it. It stops when the key is locked again; a mail
// that fails is recorded on its entry (never dropped) and the pass goes on.
// It returns how many entries it completed.
func DecryptPending(ctx context.Context, store PendingStore, p *PGP, lim Limits, log *slog.Logger) (int, error) {
	if p == nil || p.Key == nil {
		return 0, nil
	}
	done := 0
	var after int64
	for {
		batch, err := store.PendingEncrypted(ctx, after, 50)
		if err != nil {
			return done, err
		}
		if len(batch) == 0 {
			return done, nil
		}
		for _, pm := range batch {
			after = pm.EntryID
			if !p.Key.Unlocked() {
				return done, nil
			}
			in, err := decryptOne(ctx, store, p, lim, pm)
			if err != nil {
				log.Warn("pending encrypted mail: read failed", "entry", pm.EntryID, "error", err)
				continue
			}
			if in.PGP.State == db.PGPPending {
				return done, nil // locked meanwhile
			}
			if err := store.CompletePending(ctx, pm.EntryID, in); err != nil {
				return done, fmt.Errorf("mailin: complete pending entry %d: %w", pm.EntryID, err)
			}
			done++
		}
	}
}

func decryptOne(ctx context.Context, store PendingStore, p *PGP, lim Limits, pm db.PendingMail) (in *db.InboundMail, err error) {
	defer func() {
		if r := recover(); r != nil {
			in, err = nil, fmt.Errorf("mailin: panic while decrypting entry %d: %v", pm.EntryID, r)
		}
	}()
	var raw bytes.Buffer
	if err := store.WriteRawMail(ctx, pm.RawID, &raw); err != nil {
		return nil, err
	}
	pinned := *p
	pinned.report = pm.ReportID // its signatures are judged for the report it is on
	return parse(ctx, &raw, lim, "", &pinned)
}

// DecryptNewPending is the pass a running portal repeats while its key is
// unlocked, to take up mail another process (mailin --once from cron, its
// key locked) kept encrypted: it looks only at entries after afterID, the
// highest it was given back last time, so when nothing new waits it costs
// one query of an index that holds only waiting entries (migration 0008),
// and a mail that keeps failing is not retried at every pass (the pass at
// unlock and the slow sweep retry those). It returns how many entries it
// completed and the id to pass next time.
func DecryptNewPending(ctx context.Context, store PendingStore, p *PGP, lim Limits, log *slog.Logger, afterID int64) (int, int64, error) {
	c := &pendingCursor{PendingStore: store, from: afterID, seen: afterID}
	n, err := DecryptPending(ctx, c, p, lim, log)
	return n, c.seen, err
}

// pendingCursor starts a pass after an entry and notes the highest entry
// the pass was given.
type pendingCursor struct {
	PendingStore
	from, seen int64
}

func (c *pendingCursor) PendingEncrypted(ctx context.Context, afterID int64, limit int) ([]db.PendingMail, error) {
	batch, err := c.PendingStore.PendingEncrypted(ctx, max(afterID, c.from), limit)
	for _, pm := range batch {
		c.seen = max(c.seen, pm.EntryID)
	}
	return batch, err
}
