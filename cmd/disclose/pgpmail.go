package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/handlers"
	"github.com/disclose/disclose/mailin"
	"github.com/disclose/disclose/mailin/pgp"
)

// problemTeamKey is the dashboard banner saying the team key is locked.
const problemTeamKey = "team-key"

// teamKeyControl unlocks and locks the team key from the dashboard, keeps
// the "locked" banner in step, and, on unlock, wakes the pass that decrypts
// the mail which came encrypted while the key was locked.
type teamKeyControl struct {
	key      *pgp.TeamKey
	d        *db.DB
	pgp      *mailin.PGP
	problems *db.Problems
	log      *slog.Logger
	kick     chan struct{}
	// passed, in tests, sees each pending pass end.
	passed func(n int, err error)
}

var _ handlers.KeyControl = (*teamKeyControl)(nil)

func newTeamKeyControl(key *pgp.TeamKey, d *db.DB, problems *db.Problems, log *slog.Logger) *teamKeyControl {
	k := &teamKeyControl{key: key, d: d, problems: problems, log: log, kick: make(chan struct{}, 1),
		pgp: &mailin.PGP{Key: key, Known: d.KnownKeys, Now: d.Now}}
	k.showState()
	return k
}

// Unlock unlocks the key with passphrase and starts the pending pass.
func (k *teamKeyControl) Unlock(passphrase []byte) error {
	if err := k.key.Unlock(passphrase); err != nil {
		return err
	}
	k.showState()
	k.d.StartSealedIndex() // in the background; admins see its progress
	k.wake()
	return nil
}

// Lock forgets the unlocked key.
func (k *teamKeyControl) Lock() {
	k.key.Lock()
	k.d.DropSealedIndex() // the in-memory index of sealed reports holds plaintext
	k.showState()
}

func (k *teamKeyControl) showState() {
	if k.key.Unlocked() {
		k.problems.Clear(problemTeamKey)
		return
	}
	msg := "The team OpenPGP key is locked: encrypted mail is kept and waits, and outgoing mail is not signed. Unlock it under Admin → Team key."
	if k.d.Sealing() {
		msg = "The team OpenPGP key is locked: sealed reports show no text and cannot be searched, encrypted mail waits, outgoing mail is not signed. New reports are still accepted. Unlock it under Admin → Team key."
	}
	k.problems.Set(problemTeamKey, msg)
}

func (k *teamKeyControl) wake() {
	select {
	case k.kick <- struct{}{}:
	default:
	}
}

// pendingSweep is how often the pending pass also runs on its own while the
// key is unlocked: it catches mail that intake parsed while the key was
// still locked but committed after the unlock's pass.
const pendingSweep = 5 * time.Minute

// run is the worker that decrypts pending mail each time it is woken (and
// once at start when serve starts unlocked).
func (k *teamKeyControl) run(ctx context.Context) {
	if k.key.Unlocked() {
		k.d.StartSealedIndex() // unlocked at start: build the search index of sealed reports now
		k.wake()
	}
	tick := time.NewTicker(pendingSweep)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-k.kick:
		case <-tick.C:
			if !k.key.Unlocked() {
				continue
			}
		}
		n, err := mailin.DecryptPending(ctx, k.d, k.pgp, mailin.DefaultLimits, k.log)
		if k.passed != nil {
			k.passed(n, err)
		}
		if err != nil && !errors.Is(err, context.Canceled) {
			k.log.Error("decrypting mail kept while the team key was locked", "error", err, "done", n)
		} else if n > 0 {
			k.log.Info("decrypted mail kept while the team key was locked", "entries", n)
		}
	}
}

// warnExpiry puts a banner up when the team key expires within 30 days.
func warnTeamKeyExpiry(key *pgp.TeamKey, problems *db.Problems, now time.Time) {
	info := key.Info()
	switch {
	case !info.Expires.IsZero() && info.Expires.Before(now):
		problems.Set("team-key-expiry", fmt.Sprintf("The team OpenPGP key expired on %s: reporters cannot encrypt to it. Extend it or import a new one.", info.Expires.Format("2006-01-02")))
	case info.ExpiresWithin(now, 30*24*time.Hour):
		problems.Set("team-key-expiry", fmt.Sprintf("The team OpenPGP key expires on %s. Extend it or import a new one.", info.Expires.Format("2006-01-02")))
	}
}

// wireTeamKey builds what serve hands on about the team key: the control
// the admin page uses, and the reader intake decrypts mail with. All are
// nil when the portal has no key.
func wireTeamKey(key handlers.TeamKey, d *db.DB, problems *db.Problems, log *slog.Logger) (*teamKeyControl, handlers.KeyControl, *mailin.PGP) {
	tk, ok := key.(*pgp.TeamKey)
	if !ok || tk == nil {
		return nil, nil, nil
	}
	ctl := newTeamKeyControl(tk, d, problems, log)
	warnTeamKeyExpiry(tk, problems, d.Now())
	return ctl, ctl, ctl.pgp
}
