package mailin

import (
	"context"
	"log/slog"
	"time"
)

// runEvery is the loop of the background workers (outbox, webhooks, periodic
// jobs): run once at once, then every interval until ctx is done. An error
// is logged under what and the loop goes on, so one bad round does not stop
// the worker; an error caused by shutting down is not logged.
func runEvery(ctx context.Context, every time.Duration, log *slog.Logger, what string, run func(context.Context) error) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := run(ctx); err != nil && ctx.Err() == nil {
			log.Error(what, "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
