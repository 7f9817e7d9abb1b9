package mailin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/disclose/disclose/db"
)

// RunAll runs intakes side by side until ctx ends. Each keeps its own
// connection and backoff (Run), so one that fails (a wrong password, a
// server down) never stops or slows the others.
func RunAll(ctx context.Context, intakes []*Intake) {
	var wg sync.WaitGroup
	for _, in := range intakes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in.Run(ctx)
		}()
	}
	wg.Wait()
}

// PollAll polls each intake once, one after the other: a failing one is
// reported in the joined error and the rest are still polled. stats has one
// entry per intake (nil where it could not connect).
func PollAll(ctx context.Context, intakes []*Intake) (stats []*PollStats, err error) {
	var errs []error
	for _, in := range intakes {
		s, perr := in.PollOnce(ctx)
		stats = append(stats, s)
		if perr != nil {
			errs = append(errs, fmt.Errorf("%s %s: %w", in.cfg.Addr, in.cfg.Mailbox, perr))
		}
	}
	return stats, errors.Join(errs...)
}

// ConfiguredStore is what Configured needs: the intake's store, the
// configured mailboxes and where their health goes.
type ConfiguredStore interface {
	Store
	MailboxesForIntake(ctx context.Context) ([]*db.IntakeMailbox, error)
	RecordMailboxPoll(ctx context.Context, id int64, pollErr string, backlog int) error
}

// Configured builds an intake for every mailbox configured in the database,
// on the settings of base (limits, spool, interval, own addresses). Each
// keeps its position under its own key, takes only the mail its filter
// selects, files new reports under its program and records its own health.
// A mailbox that cannot start (its password cannot be opened, a bad
// setting) gets its error recorded and is left out: the others run.
func Configured(ctx context.Context, store ConfiguredStore, base Config, log *slog.Logger, p *PGP) ([]*Intake, error) {
	boxes, err := store.MailboxesForIntake(ctx)
	if err != nil {
		return nil, err
	}
	var out []*Intake
	for _, m := range boxes {
		if in := configure(ctx, store, base, log, p, m); in != nil {
			out = append(out, in)
		}
	}
	return out, nil
}

// configure builds the intake of mailbox m (Configured), or records why it
// cannot start and returns nil.
func configure(ctx context.Context, store ConfiguredStore, base Config, log *slog.Logger, p *PGP, m *db.IntakeMailbox) *Intake {
	id := m.ID
	record := func(ctx context.Context, pollErr string, backlog int) {
		if err := store.RecordMailboxPoll(ctx, id, pollErr, backlog); err != nil {
			log.Error("mail intake: record mailbox poll", "mailbox_id", id, "error", err)
		}
	}
	if m.OpenError != nil {
		log.Error("mail intake: mailbox left out", "mailbox_id", id, "error", m.OpenError)
		record(ctx, m.OpenError.Error(), 0)
		return nil
	}
	cfg := base
	cfg.Addr, cfg.TLS, cfg.User, cfg.Password, cfg.Mailbox, cfg.Processed = m.Addr, m.TLS, m.User, m.Password, m.Name, m.Processed
	cfg.Key, cfg.SubjectContains, cfg.To, cfg.ProgramID, cfg.OnPoll = m.Key(), m.SubjectContains, m.To, m.ProgramID, record
	// An organisation's admin may set up its mailboxes; the default
	// organisation's are the operator's, who may name any server.
	cfg.CheckAddr = m.OrgID != db.DefaultOrgID
	cfg.OwnAddresses = append([]string(nil), base.OwnAddresses...)
	if strings.Contains(m.User, "@") {
		cfg.OwnAddresses = append(cfg.OwnAddresses, m.User)
	}
	in, err := New(cfg, store, log.With("mailbox_id", id))
	if err != nil {
		log.Error("mail intake: mailbox left out", "mailbox_id", id, "error", err)
		record(ctx, err.Error(), 0)
		return nil
	}
	in.UsePGP(p)
	return in
}
