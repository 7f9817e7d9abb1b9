package mailin

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/disclose/disclose/db"
)

// Supervisor runs one intake per mailbox configured in the database and
// follows that configuration while the portal runs: a mailbox added in the
// dashboard or with `disclose mailbox add` is read from the next look
// (Reload), a removed one's worker stops, and a changed one (server,
// password, folders, filter, program) is stopped and started anew on its
// new settings. Without it, a mailbox added by an organisation's admin
// would wait for the operator's next restart, and a removed one, whose
// password the admin meant to revoke, would keep being read.
type Supervisor struct {
	ctx   context.Context // the workers' lifetime
	store ConfiguredStore
	base  Config
	log   *slog.Logger
	pgp   *PGP

	mu      sync.Mutex // one Reload at a time; guards running
	running map[int64]*supervised
}

// supervised is the worker of one mailbox. print is a digest of the
// settings it was started on (the password included, never kept in
// clear); stop is nil when those settings could not start one (the error
// is recorded as the mailbox's health and is not recorded again until the
// settings change).
type supervised struct {
	print [32]byte
	stop  context.CancelFunc
	done  chan struct{}
}

// NewSupervisor returns a supervisor whose workers run until ctx ends or
// Stop; base gives the settings every mailbox shares (limits, spool,
// interval, own addresses, reach), as for Configured.
func NewSupervisor(ctx context.Context, store ConfiguredStore, base Config, log *slog.Logger, p *PGP) *Supervisor {
	return &Supervisor{ctx: ctx, store: store, base: base, log: log, pgp: p, running: map[int64]*supervised{}}
}

func fingerprint(m *db.IntakeMailbox) [32]byte {
	openErr := ""
	if m.OpenError != nil {
		openErr = m.OpenError.Error()
	}
	return sha256.Sum256(fmt.Appendf(nil, "%d\x00%d\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s",
		m.OrgID, m.ProgramID, m.Addr, m.TLS, m.User, m.Password, m.Name, m.Processed, m.SubjectContains, m.To, openErr))
}

// Reload reads the configured mailboxes and makes the workers match them.
// It returns once the workers it stopped have finished (the message in
// hand is committed or left for the next reader), so a removed mailbox is
// no longer read when it returns.
func (s *Supervisor) Reload(ctx context.Context) error {
	boxes, err := s.store.MailboxesForIntake(ctx)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	want := map[int64]*db.IntakeMailbox{}
	for _, m := range boxes {
		want[m.ID] = m
	}
	var stopped []*supervised
	for id, w := range s.running {
		if m, ok := want[id]; !ok || fingerprint(m) != w.print {
			if w.stop != nil {
				w.stop()
				stopped = append(stopped, w)
			}
			delete(s.running, id)
			if !ok {
				s.log.Info("mail intake: mailbox removed, its worker stops", "mailbox_id", id)
			} else {
				s.log.Info("mail intake: mailbox changed, its worker restarts", "mailbox_id", id)
			}
		}
	}
	for _, w := range stopped {
		<-w.done
	}
	for _, m := range boxes {
		if _, ok := s.running[m.ID]; ok {
			continue
		}
		w := &supervised{print: fingerprint(m)}
		s.running[m.ID] = w
		in := configure(ctx, s.store, s.base, s.log, s.pgp, m)
		if in == nil {
			continue
		}
		wctx, cancel := context.WithCancel(s.ctx)
		w.stop, w.done = cancel, make(chan struct{})
		go func() {
			defer close(w.done)
			in.Run(wctx)
		}()
	}
	return nil
}

// Running lists the mailboxes that have a worker, by id.
func (s *Supervisor) Running() []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []int64
	for id, w := range s.running {
		if w.stop != nil {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// Stop stops every worker and waits for them.
func (s *Supervisor) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, w := range s.running {
		if w.stop != nil {
			w.stop()
			<-w.done
		}
		delete(s.running, id)
	}
}

// Run reloads the configuration now and then every `every` until the
// supervisor's context ends, then stops every worker. A failed look at the
// configuration is logged and the workers keep running as they were.
func (s *Supervisor) Run(every time.Duration) {
	defer s.Stop()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := s.Reload(s.ctx); err != nil && s.ctx.Err() == nil {
			s.log.Error("mail intake: read the configured mailboxes", "error", err)
		}
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
	}
}
