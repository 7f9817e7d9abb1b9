package mailin

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/db/spool"
)

// PendingStore is what the pass over mail kept encrypted needs.
type PendingStore interface {
	PendingEncrypted(ctx context.Context, afterID int64, limit int) ([]db.PendingMail, error)
	WriteRawMail(ctx context.Context, id int64, w io.Writer) error
	CompletePending(ctx context.Context, entryID int64, in *db.InboundMail) error
	BeginPendingRead(ctx context.Context, rawID int64) (int, error)
}

// maxPendingReads is how many passes may begin decrypting one kept mail: a
// mail whose decryption stops the portal (or keeps failing) is then marked
// failed on its entry, with the reason, instead of being read again at
// every unlock and every start.
const maxPendingReads = 3

// DecryptPending decrypts, from their kept raw bytes, the mails that came
// encrypted while the team key was locked, and puts their text, attachments
// and signature on their timeline entries. The unlock path and `serve`
// starting unlocked call it. It stops when the key is locked again; a mail
// that fails is recorded on its entry (never dropped) and the pass goes on.
// Each mail is read as intake reads it: the raw bytes and large
// attachments spooled in p.SpoolDir, decryption within lim. It returns how
// many entries it completed.
func DecryptPending(ctx context.Context, store PendingStore, p *PGP, lim Limits, log *slog.Logger) (int, error) {
	if p == nil || p.Key == nil {
		return 0, nil
	}
	if p.SpoolDir != "" {
		if err := os.MkdirAll(p.SpoolDir, 0o700); err != nil {
			return 0, fmt.Errorf("mailin: spool directory: %w", err)
		}
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
			ok, err := completeOne(ctx, store, p, lim, pm, log)
			if err != nil {
				return done, err
			}
			if !ok {
				return done, nil // locked meanwhile
			}
			done++
		}
	}
}

// completeOne decrypts one pending mail and completes its entry; false when
// the key was locked meanwhile. The pass is counted before the mail is read.
func completeOne(ctx context.Context, store PendingStore, p *PGP, lim Limits, pm db.PendingMail, log *slog.Logger) (bool, error) {
	n, err := store.BeginPendingRead(ctx, pm.RawID)
	if err != nil {
		return false, fmt.Errorf("mailin: count pending read of entry %d: %w", pm.EntryID, err)
	}
	if n > maxPendingReads {
		note := fmt.Sprintf("This mail came encrypted and was kept. Decrypting it was begun %d times and never finished (%s, or reading it failed), so it is not tried again. The raw message is kept.", n-1, db.MailStopped)
		log.Warn("pending encrypted mail: set aside", "entry", pm.EntryID, "attempts", n-1)
		in := &db.InboundMail{Body: note, PGP: db.MailPGP{State: db.PGPFailed, Note: note}}
		if err := store.CompletePending(ctx, pm.EntryID, in); err != nil {
			return false, fmt.Errorf("mailin: mark pending entry %d failed: %w", pm.EntryID, err)
		}
		return true, nil
	}
	in, spools, err := decryptOne(ctx, store, p, lim, pm)
	defer closeSpools(spools)
	if err != nil {
		// Tried again at the next pass, up to maxPendingReads.
		log.Warn("pending encrypted mail: read failed", "entry", pm.EntryID, "attempt", n, "error", err)
		return true, nil
	}
	if in.PGP.State == db.PGPPending {
		return false, nil
	}
	if err := store.CompletePending(ctx, pm.EntryID, in); err != nil {
		return false, fmt.Errorf("mailin: complete pending entry %d: %w", pm.EntryID, err)
	}
	return true, nil
}

// decryptOne reads a kept raw mail into a spool and parses it with the key;
// the caller closes the spools of its large attachments once stored.
func decryptOne(ctx context.Context, store PendingStore, p *PGP, lim Limits, pm db.PendingMail) (in *db.InboundMail, spools []*spool.Spool, err error) {
	defer func() {
		if r := recover(); r != nil {
			in, spools, err = nil, nil, fmt.Errorf("mailin: panic while decrypting entry %d: %v", pm.EntryID, r)
		}
	}()
	raw := &spool.Spool{Dir: p.SpoolDir}
	defer raw.Close()
	if err := store.WriteRawMail(ctx, pm.RawID, raw); err != nil {
		return nil, nil, err
	}
	pinned := *p
	pinned.report = pm.ReportID // its signatures are judged for the report it is on
	return parseSpooled(ctx, raw.Reader(), lim, p.SpoolDir, &pinned, true)
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
