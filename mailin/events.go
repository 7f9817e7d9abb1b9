package mailin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/disclose/disclose/db"
)

// EventStore is what the event worker needs of the database: its one write
// path and the signal that events were recorded.
type EventStore interface {
	Update(ctx context.Context, fn func(ctx context.Context, tx *db.Tx) error) error
	EventsRecorded() <-chan struct{}
}

// Events composes the mail that actions cause. An action records an event
// (ids and kind) in its own transaction; Events reads it back with what its
// mail needs, composes the mail (Notifier), writes it to the outbox and
// marks the event done in one transaction: a crash between the action and
// the mail loses nothing, and an event is composed once.
//
// While the team key is locked, an event whose mail carries sealed text (a
// reply, a state change's reason) waits, not done, until the key is
// unlocked; the others are composed at once and their sealed rows wait in
// the outbox as before.
type Events struct {
	Store    EventStore
	Notifier *Notifier
	Log      *slog.Logger
	// Interval is how often Run looks without being woken (events left by
	// a crash, or waiting for the key); a minute when zero.
	Interval time.Duration
}

// eventBatch is how many events one transaction composes.
const eventBatch = 64

// Drain composes every pending event it can now and returns how many it
// composed. Tests call it where they read the outbox after an action. An
// event that fails to compose stays pending and does not hold the others;
// the first such error is returned after the rest were composed.
func (e *Events) Drain(ctx context.Context) (int, error) {
	var after int64
	total := 0
	first := true
	var failed error
	for {
		seen, n := 0, 0
		last := after
		err := e.Store.Update(ctx, func(ctx context.Context, tx *db.Tx) error {
			tx.KeepAudience()
			seen, n, last = 0, 0, after
			if first {
				if err := tx.ForgetDoneEvents(ctx); err != nil {
					return err
				}
			}
			evs, err := tx.PendingEvents(ctx, after, eventBatch)
			if err != nil {
				return err
			}
			seen = len(evs)
			for _, ev := range evs {
				last = ev.ID
				ok, err := e.compose(ctx, tx, ev)
				if err != nil {
					return err
				}
				if ok {
					n++
				}
			}
			return nil
		})
		first = false
		if err != nil {
			if ctx.Err() != nil {
				return total, err
			}
			// Compose this batch one event per transaction, so that one
			// event that cannot be composed holds none of the others.
			if failed == nil {
				failed = err
			}
			n, seen, last, err = e.oneByOne(ctx, after)
			if err != nil {
				return total + n, err
			}
		}
		total += n
		if seen < eventBatch {
			return total, failed
		}
		after = last
	}
}

// oneByOne composes the next batch of events after after, one per
// transaction, logging those that fail. It returns how many it composed
// and looked at, and the last id it looked at.
func (e *Events) oneByOne(ctx context.Context, after int64) (done, seen int, last int64, err error) {
	last = after
	for seen < eventBatch {
		found, ok := false, false
		var id int64
		err := e.Store.Update(ctx, func(ctx context.Context, tx *db.Tx) error {
			found, ok = false, false
			evs, err := tx.PendingEvents(ctx, last, 1)
			if err != nil || len(evs) == 0 {
				return err
			}
			found, id = true, evs[0].ID
			ok, err = e.compose(ctx, tx, evs[0])
			return err
		})
		if ctx.Err() != nil {
			return done, seen, last, ctx.Err()
		}
		if !found {
			if err != nil { // the events cannot even be read
				return done, seen, last, err
			}
			break
		}
		seen++
		last = id
		if err != nil {
			e.log().Error("mail: compose event", "event", id, "error", err)
		} else if ok {
			done++
		}
	}
	return done, seen, last, nil
}

// compose writes the mails ev causes and marks it done; false when it waits
// for the team key.
func (e *Events) compose(ctx context.Context, tx *db.Tx, ev *db.Event) (bool, error) {
	if err := tx.ReadEvent(ctx, ev); err != nil {
		return false, err
	}
	if ev.Locked && needsText(ev.Kind) {
		return false, nil
	}
	if err := tx.EventAudience(ctx, ev); err != nil {
		return false, err
	}
	mails, err := e.Notifier.Notify(ctx, ev)
	if err != nil {
		return false, fmt.Errorf("mailin: compose %s mail: %w", ev.Kind, err)
	}
	if err := tx.FinishEvent(ctx, ev, mails); err != nil {
		return false, err
	}
	return true, nil
}

// needsText says the mail of an event of kind k carries text that may be
// sealed: a reply's body and files, a state change's reason. The others
// carry words of ours, and an address the outbox may keep sealed.
func needsText(k db.EventKind) bool {
	return k == db.EventReply || k == db.EventState
}

// Run composes events as they are recorded (woken by the commit that
// recorded them) and every Interval, until ctx is done.
func (e *Events) Run(ctx context.Context) {
	iv := e.Interval
	if iv <= 0 {
		iv = time.Minute
	}
	t := time.NewTicker(iv)
	defer t.Stop()
	for {
		if _, err := e.Drain(ctx); err != nil && ctx.Err() == nil && !errors.Is(err, context.Canceled) {
			e.log().Error("mail: compose events", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-e.Store.EventsRecorded():
		case <-t.C:
		}
	}
}

func (e *Events) log() *slog.Logger {
	if e.Log == nil {
		return slog.Default()
	}
	return e.Log
}
