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
