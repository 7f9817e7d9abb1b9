package mailin

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/disclose/disclose/db"
)

// JobStore is what the periodic jobs need from the database.
type JobStore interface {
	SendReminders(ctx context.Context, after time.Duration, max int) (int, error)
	Update(ctx context.Context, fn func(ctx context.Context, tx *db.Tx) error) error
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
	d, err := j.SendDigests(ctx, every)
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

// SendDigests queues one digest mail for every user whose digest is due
// (db.Tx.DueDigests), composed here and written with the clearing of the
// user's items in one transaction. It returns how many it queued.
func (j *Jobs) SendDigests(ctx context.Context, every time.Duration) (int, error) {
	sent := 0
	err := j.Store.Update(ctx, func(ctx context.Context, tx *db.Tx) error {
		sent = 0
		due, err := tx.DueDigests(ctx, every)
		if err != nil {
			return err
		}
		for _, d := range due {
			var m *db.OutMail
			if len(d.Items) > 0 { // none left: all of programs the user has left
				if m, err = j.Notifier.Digest(d.To, d.Items); err != nil {
					return fmt.Errorf("mailin: compose digest: %w", err)
				}
				sent++
			}
			if err := tx.QueueDigest(ctx, d, m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return sent, nil
}
