package mailin

import (
	"context"
	"log/slog"
	"time"

	"github.com/disclose/disclose/db"
)

// JobStore is what the periodic jobs need from the database.
type JobStore interface {
	SendReminders(ctx context.Context, after time.Duration, max int) (int, error)
	SendDigests(ctx context.Context, every time.Duration, compose db.DigestComposer) (int, error)
}

// Jobs queues the mail that time causes rather than an action: needs_info
// reminders and the staff's daily digests. What they queue, the outbox
// worker sends.
type Jobs struct {
	Store         JobStore
	Notifier      *Notifier
	ReminderAfter time.Duration // remind after this long in needs_info, and again as often; 0: never
	ReminderMax   int           // reminders per waiting period
	DigestEvery   time.Duration // at most one digest per user this often
	Interval      time.Duration // how often to look
	Log           *slog.Logger
}

// RunOnce queues what is due now.
func (j *Jobs) RunOnce(ctx context.Context) error {
	n, err := j.Store.SendReminders(ctx, j.ReminderAfter, j.ReminderMax)
	if err != nil {
		return err
	}
	every := j.DigestEvery
	if every <= 0 {
		every = 24 * time.Hour
	}
	d, err := j.Store.SendDigests(ctx, every, j.Notifier.Digest)
	if err != nil {
		return err
	}
	if n+d > 0 {
		j.Log.Info("periodic mail queued", "reminders", n, "digests", d)
	}
	return nil
}

// Run runs the jobs every Interval until ctx is done.
func (j *Jobs) Run(ctx context.Context) {
	iv := j.Interval
	if iv <= 0 {
		iv = 10 * time.Minute
	}
	runEvery(ctx, iv, j.Log, "periodic mail", j.RunOnce)
}
