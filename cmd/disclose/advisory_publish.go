package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/disclose/disclose/db"
)

// publisher publishes approved advisories at their moment (the embargo's
// end). The schedule is in the database, so a restart loses nothing: at
// start it publishes whatever came due while the portal was down, then
// sleeps until the next moment or until an approval wakes it.
type publisher struct {
	d    *db.DB
	log  *slog.Logger
	wake chan struct{}
	// after is time.After; tests hand out channels they fire themselves.
	after func(time.Duration) <-chan time.Time
	// longest is the longest sleep: a wall clock that jumps, or a
	// schedule changed by another process (the CLI), is caught by then.
	longest time.Duration
}

func newPublisher(d *db.DB, log *slog.Logger) *publisher {
	return &publisher{d: d, log: log, wake: make(chan struct{}, 1), after: time.After, longest: time.Minute}
}

// Wake makes the publisher read the schedule again (an approval changed it).
func (p *publisher) Wake() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// run publishes what is due, then waits for the next moment, until ctx ends.
func (p *publisher) run(ctx context.Context) {
	for {
		n, err := p.d.PublishDue(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			p.log.Error("publish advisories", "error", err)
		} else if n > 0 {
			p.log.Info("advisories published", "count", n)
		}
		wait := p.longest
		if at, ok, err := p.d.NextAdvisoryDue(ctx); err != nil {
			p.log.Error("advisory schedule", "error", err)
		} else if ok {
			wait = min(wait, max(at.Sub(p.d.Now()), 0))
		}
		select {
		case <-ctx.Done():
			return
		case <-p.wake:
		case <-p.after(wait):
		}
	}
}
