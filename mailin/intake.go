package mailin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/emersion/go-imap/v2/imapclient"
)

// Store is what intake needs from the database.
type Store interface {
	SyncMailbox(ctx context.Context, mailbox string, uidValidity uint32) (*db.MailboxState, error)
	Updater // stores what intake decided (IngestMailBatch)
	RecordMailFailure(ctx context.Context, mailbox string, uidValidity, uid uint32, reason string) (int, error)
	MarkMailReading(ctx context.Context, mailbox string, uidValidity, from, to uint32) error
	SetAsideMail(ctx context.Context, in *db.InboundMail, reason string, attempts int) error
	RecordPoll(ctx context.Context, pollErr string) error
}

// Intake reads the security mailbox and turns mail into reports and replies,
// each exactly once: a message is flagged \Seen and moved to the processed
// folder only after what it became committed, and a re-fetch adds nothing.
type Intake struct {
	cfg     Config
	store   Store
	log     *slog.Logger
	newMail chan struct{} // a server said EXISTS while idling
	pgp     *PGP          // nil: OpenPGP mail is kept as it came

	// beforeFinish runs after a batch committed and before it is flagged and
	// moved; tests return an error from it to simulate a crash there.
	beforeFinish func() error
	// storeBatch, in tests, stores a batch instead of IngestMailBatch.
	storeBatch func(ctx context.Context, u Updater, ins []*db.InboundMail, opts IngestOptions) ([]*db.IngestResult, error)
	// afterPoll, in tests, sees each poll of Run end.
	afterPoll func(*PollStats, error)
	// idling, in tests, says IDLE has begun.
	idling func()
	// stopped are the messages whose reading stopped the portal before,
	// with their failed attempts (db.MailboxState.Stopped).
	stopped  map[uint32]int
	careful  [2]uint32 // db.MailboxState.Careful
	exact    bool      // the batch being read is marked message by message
	inflight *inflight // the memory of the messages parsed, not committed
}

// New checks cfg and builds an intake.
func New(cfg Config, store Store, log *slog.Logger) (*Intake, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Intake{cfg: cfg, store: store, log: log, newMail: make(chan struct{}, 1), inflight: newInflight()}, nil
}

// UsePGP makes intake decrypt and verify OpenPGP mail with p; call it
// before Run.
func (in *Intake) UsePGP(p *PGP) { in.pgp = p }

// PollStats counts what one poll did.
type PollStats struct {
	Fetched  int // messages read from the server
	Reports  int
	Replies  int
	Kept     int // auto-replies, bounces and duplicates kept for admins
	Again    int // already taken before (a re-fetch): nothing added
	Failed   int // failed this time; retried next poll
	SetAside int
	Moved    int
	Backlog  int // selected messages waiting when the poll began
	// FinishTime is how long flagging and moving took on the server (in the
	// background, overlapping the next batch), FinishWait how much of it
	// was left after the last commit, StoreTime how long the database took
	// to commit, ParseTime how long MIME parsing took (in its own
	// goroutine, overlapping the rest); load runs report them.
	FinishTime time.Duration
	FinishWait time.Duration
	StoreTime  time.Duration
	ParseTime  time.Duration
}

func (s *PollStats) add(res *db.IngestResult) {
	switch {
	case res.Again:
		s.Again++
	case res.Kind == db.MailReport:
		s.Reports++
	case res.Kind == db.MailReply:
		s.Replies++
	default:
		s.Kept++
	}
}

// ErrMessagesFailed says a poll worked but some messages failed; they stay
// in the mailbox and are tried again (and set aside at the limit).
var ErrMessagesFailed = errors.New("mailin: some messages failed and will be retried")

// PollOnce connects, takes every waiting message, and disconnects: the
// `disclose mailin --once` of cron jobs and tests.
func (in *Intake) PollOnce(ctx context.Context) (*PollStats, error) {
	c, err := in.dial()
	if err != nil {
		in.record(ctx, err, nil)
		return nil, err
	}
	defer c.Close()
	stats, err := in.poll(ctx, c)
	in.record(ctx, err, stats)
	if err != nil {
		return stats, err
	}
	c.Logout().Wait()
	if stats.Failed > 0 {
		return stats, fmt.Errorf("%w (%d)", ErrMessagesFailed, stats.Failed)
	}
	return stats, nil
}

// record keeps the outcome of a poll for the admin page. Only the gateway's
// own error text is kept (network, server, database), never mail content.
func (in *Intake) record(ctx context.Context, err error, stats *PollStats) {
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	if in.cfg.OnPoll != nil {
		backlog := 0
		if stats != nil {
			backlog = stats.Backlog
		}
		in.cfg.OnPoll(context.WithoutCancel(ctx), msg, backlog)
		return
	}
	if rerr := in.store.RecordPoll(context.WithoutCancel(ctx), msg); rerr != nil {
		in.log.Error("mail intake: record poll", "error", rerr)
	}
}

// Run polls until ctx ends: after each poll it waits with IDLE when the
// server offers it (or sleeps the interval), and reconnects with backoff
// when the connection fails. Cancelling ctx stops it between messages.
func (in *Intake) Run(ctx context.Context) error {
	in.log.Info("mail intake started", "addr", in.cfg.Addr, "tls", in.cfg.TLS, "mailbox", in.cfg.Mailbox, "processed", in.cfg.Processed, "interval", in.cfg.Interval.String())
	const minBackoff, maxBackoff = time.Second, 5 * time.Minute
	backoff := minBackoff
	for {
		err := in.session(ctx, func() { backoff = minBackoff })
		if ctx.Err() != nil {
			in.log.Info("mail intake stopped")
			return nil
		}
		in.log.Warn("mail intake: will reconnect", "in", backoff.String(), "error", err)
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			in.log.Info("mail intake stopped")
			return nil
		case <-t.C:
		}
		if backoff *= 2; backoff > maxBackoff {
			backoff = maxBackoff
		}
	}
}

// session keeps one connection: poll, wait, poll, until an error or ctx.
func (in *Intake) session(ctx context.Context, ok func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("mailin: panic in session: %v", r)
		}
	}()
	c, err := in.dial()
	if err != nil {
		in.record(ctx, err, nil)
		return err
	}
	defer c.Close()
	for {
		stats, err := in.poll(ctx, c)
		in.record(ctx, err, stats)
		if in.afterPoll != nil {
			in.afterPoll(stats, err)
		}
		if err != nil {
			return err
		}
		ok()
		if stats.Fetched > 0 || stats.Moved > 0 {
			in.log.Info("mail intake poll", "fetched", stats.Fetched, "reports", stats.Reports, "replies", stats.Replies,
				"kept", stats.Kept, "again", stats.Again, "failed", stats.Failed, "set_aside", stats.SetAside, "moved", stats.Moved)
		}
		if ctx.Err() != nil {
			c.Logout().Wait()
			return nil
		}
		if err := in.wait(ctx, c); err != nil {
			return err
		}
		if ctx.Err() != nil {
			c.Logout().Wait()
			return nil
		}
	}
}

// wait returns when new mail may have arrived: on an EXISTS during IDLE, or
// after the interval, or when ctx ends.
func (in *Intake) wait(ctx context.Context, c *imapclient.Client) error {
	t := time.NewTimer(in.cfg.Interval)
	defer t.Stop()
	if !c.Caps().Has("IDLE") && !c.Caps().Has("IMAP4rev2") {
		select {
		case <-ctx.Done():
		case <-t.C:
		case <-c.Closed():
			return errors.New("mailin: connection closed")
		}
		return nil
	}
	idle, err := c.Idle()
	if err != nil {
		return fmt.Errorf("mailin: idle: %w", err)
	}
	if in.idling != nil {
		in.idling()
	}
	select {
	case <-ctx.Done():
	case <-t.C:
	case <-in.newMail:
	case <-c.Closed():
	}
	if err := idle.Close(); err != nil {
		return fmt.Errorf("mailin: end idle: %w", err)
	}
	if err := idle.Wait(); err != nil {
		return fmt.Errorf("mailin: end idle: %w", err)
	}
	return nil
}
