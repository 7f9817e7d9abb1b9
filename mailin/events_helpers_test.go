package mailin

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
)

// notifiers holds, per test database, the Notifier that composes the mail
// of its events when a test reads the outbox (drainEvents), as serve's
// event worker does right after each commit. A database with none (nil)
// composes nothing: its events are marked done without mail.
var notifiers sync.Map // *db.DB → *Notifier

// setNotifier composes what d's events so far cause with the Notifier they
// were recorded under, then makes n compose the later ones.
func setNotifier(tb testing.TB, d *db.DB, n *Notifier) {
	tb.Helper()
	drainEvents(tb, d)
	notifiers.Store(d, n)
}

// drainEvents composes every pending event of d (Events.Drain).
func drainEvents(tb testing.TB, d *db.DB) {
	tb.Helper()
	v, _ := notifiers.Load(d)
	n, _ := v.(*Notifier)
	ctx := context.Background()
	if n == nil {
		err := d.Update(ctx, func(ctx context.Context, tx *db.Tx) error {
			evs, err := tx.PendingEvents(ctx, 0, 1<<20)
			if err != nil {
				return err
			}
			for _, ev := range evs {
				if err := tx.FinishEvent(ctx, ev, nil); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			tb.Fatalf("skip events: %v", err)
		}
		return
	}
	if _, err := (&Events{Store: d, Notifier: n, Log: discardLog()}).Drain(ctx); err != nil {
		tb.Fatalf("compose events: %v", err)
	}
}

// drainingStore is an OutboxStore that composes pending events before it
// hands out mail.
type drainingStore struct {
	*db.DB
	tb testing.TB
}

func (s drainingStore) ClaimMail(ctx context.Context, lease time.Duration) (*db.Mail, error) {
	drainEvents(s.tb, s.DB)
	return s.DB.ClaimMail(ctx, lease)
}
