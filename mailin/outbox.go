package mailin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"time"

	"github.com/disclose/disclose/db"
)

// Transport hands a finished message to a mail server. It returns nil only
// once the server accepted it, and a *PermanentError for refusals that
// sending again cannot fix.
type Transport interface {
	Send(ctx context.Context, from string, to []string, msg []byte) error
}

// OutboxStore is what the outbox worker needs from the database.
type OutboxStore interface {
	ClaimMail(ctx context.Context, lease time.Duration) (*db.Mail, error)
	MailAttachments(ctx context.Context, id int64) ([]*db.MailAttachment, error)
	MailSent(ctx context.Context, id int64) error
	MailRetry(ctx context.Context, id int64, errText string, delay, giveUp time.Duration) (bool, error)
	MailFailed(ctx context.Context, id int64, errText string) error
}

// Problems is where a worker reports a condition admins must fix (the mail
// server refuses the password) and clears it once things work; *db.Problems
// implements it.
type Problems interface {
	Set(key, message string)
	Clear(key string)
}

// Retry is how a queue waits between attempts: Base doubled per attempt up
// to Max, and GiveUp after the row was queued.
type Retry struct {
	Base   time.Duration
	Max    time.Duration
	GiveUp time.Duration
}

// DefaultRetry waits 1m, 2m, 4m … up to an hour between attempts and gives
// up after three days, about what mail servers do.
var DefaultRetry = Retry{Base: time.Minute, Max: time.Hour, GiveUp: 72 * time.Hour}

// Delay is the wait after the given attempt (1 for the first).
func (r Retry) Delay(attempt int) time.Duration {
	d := r.Base
	for i := 1; i < attempt && d < r.Max; i++ {
		d *= 2
	}
	return min(d, r.Max)
}

// Outbox is the worker that sends queued mail. Each mail is claimed with a
// lease and its attempt counted before it is sent, marked sent after the
// server accepted it. A crash between acceptance and marking leaves the
// lease to expire and the mail is sent again, byte for byte the same (same
// Message-ID and Date), so that the recipient's software can drop it; a mail
// the server accepted and that was marked is never sent again.
type Outbox struct {
	Store        OutboxStore
	Transport    Transport
	Composer     *Composer
	EnvelopeFrom string // MAIL FROM; the From address when empty
	Retry        Retry
	Lease        time.Duration // how long a claimed mail is held; longer than a send can take
	Poll         time.Duration // how often to look for due mail when idle
	Log          *slog.Logger
	Problems     Problems // optional: told when the server cannot be used at all

	// afterAccept, in tests, runs between the server's acceptance and the
	// marking; an error stops the worker there, as a crash would.
	afterAccept func(id int64) error
}

// Run sends due mail until ctx is done. It stops between mails: a mail
// being sent when ctx ends is finished and marked first.
func (o *Outbox) Run(ctx context.Context) {
	poll := o.Poll
	if poll <= 0 {
		poll = 5 * time.Second
	}
	runEvery(ctx, poll, o.Log, "outbox", func(ctx context.Context) error {
		_, err := o.SendDue(ctx)
		return err
	})
}

// SendDue sends every mail that is due now and returns how many it sent.
func (o *Outbox) SendDue(ctx context.Context) (int, error) {
	sent := 0
	for ctx.Err() == nil {
		// Claiming and marking must not be cut short by shutdown: a claimed
		// mail is always finished.
		work := context.WithoutCancel(ctx)
		m, err := o.Store.ClaimMail(work, o.lease())
		if db.ErrorCode(err) == db.ENOTFOUND {
			return sent, nil
		} else if err != nil {
			return sent, err
		}
		ok, err := o.sendOne(work, m)
		if err != nil {
			return sent, err
		}
		if ok {
			sent++
		}
	}
	return sent, nil
}

func (o *Outbox) lease() time.Duration {
	if o.Lease > 0 {
		return o.Lease
	}
	return 15 * time.Minute // longer than the 10 minutes a send may take
}

// sendOne sends a claimed mail and records the outcome. It returns an error
// only when the outcome could not be recorded (or, in tests, on a simulated
// crash).
func (o *Outbox) sendOne(ctx context.Context, m *db.Mail) (sent bool, err error) {
	log := o.Log.With("outbox_id", m.ID, "kind", m.Kind, "ref", m.Ref, "attempt", m.Attempts)
	sendErr := o.deliver(ctx, m)
	o.report(sendErr)
	if sendErr == nil {
		if o.afterAccept != nil {
			if err := o.afterAccept(m.ID); err != nil {
				return false, err
			}
		}
		if err := o.Store.MailSent(ctx, m.ID); err != nil {
			return false, fmt.Errorf("mailin: mark mail %d sent: %w", m.ID, err)
		}
		log.Info("mail sent")
		return true, nil
	}
	if IsPermanent(sendErr) {
		log.Warn("mail refused for good", "error", logSafe(sendErr))
		if err := o.Store.MailFailed(ctx, m.ID, errorText(m, sendErr)); err != nil {
			return false, fmt.Errorf("mailin: mark mail %d failed: %w", m.ID, err)
		}
		return false, nil
	}
	delay := o.Retry.Delay(m.Attempts)
	failed, err := o.Store.MailRetry(ctx, m.ID, errorText(m, sendErr), delay, o.Retry.GiveUp)
	if err != nil {
		return false, fmt.Errorf("mailin: reschedule mail %d: %w", m.ID, err)
	}
	if failed {
		log.Warn("mail given up", "error", logSafe(sendErr))
	} else {
		log.Info("mail deferred", "error", logSafe(sendErr), "retry_in", delay.String())
	}
	return false, nil
}

// errorText is what the outbox keeps of a failed attempt. Mail servers
// often quote the recipient ("550 <alice@example.org>: no such user"); the
// address of a sealed mail is sealed, so it is not kept beside it in clear.
func errorText(m *db.Mail, err error) string {
	text := err.Error()
	if m.Sealed && m.To != "" {
		text = regexp.MustCompile(`(?i)`+regexp.QuoteMeta(m.To)).ReplaceAllString(text, "[recipient]")
	}
	return text
}

// deliver composes and sends one mail; a panic in either becomes a
// temporary error rather than a dead worker.
func (o *Outbox) deliver(ctx context.Context, m *db.Mail) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("mailin: panic while sending: %v", p)
		}
	}()
	atts, err := o.Store.MailAttachments(ctx, m.ID)
	if err != nil {
		return err
	}
	msg, err := o.Composer.Compose(m, atts)
	var re *readError
	if errors.As(err, &re) {
		return err // the files stream from the database as the mail is composed
	} else if err != nil {
		return &PermanentError{Err: err}
	}
	from := o.EnvelopeFrom
	if from == "" {
		from = o.Composer.From.Address
	}
	to, err := envelopeAddress(m.To)
	if err != nil {
		return &PermanentError{Err: err}
	}
	sctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	return o.Transport.Send(sctx, from, []string{to}, msg)
}

// report raises the "smtp" problem while the server cannot be used at all
// and clears it with the first mail the server accepts.
func (o *Outbox) report(err error) {
	if o.Problems == nil {
		return
	}
	switch {
	case err == nil:
		o.Problems.Clear("smtp")
	case IsServerError(err):
		o.Problems.Set("smtp", "outgoing mail waits in the outbox: the mail server cannot be used ("+logSafe(err)+"); check the DISCLOSE_SMTP_* settings")
	}
}
