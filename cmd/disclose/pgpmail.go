package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
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
	// tick, when set (tests), replaces the clock of the short pass.
	tick <-chan time.Time
	// seen is the highest pending entry a pass looked at (DecryptNewPending).
	seen int64
}

var _ handlers.KeyControl = (*teamKeyControl)(nil)

func newTeamKeyControl(key *pgp.TeamKey, d *db.DB, problems *db.Problems, log *slog.Logger) *teamKeyControl {
	k := &teamKeyControl{key: key, d: d, problems: problems, log: log, kick: make(chan struct{}, 1),
		pgp: &mailin.PGP{Key: key, Known: d.KnownKeys, Now: d.Now, SpoolDir: filepath.Join(filepath.Dir(d.Path), "tmp")}}
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

// pendingPoll is how often, while the key is unlocked, the short pass
// looks for mail another process (mailin --once without the passphrase)
// kept encrypted: one indexed query when there is none. pendingSweep is how
// often the whole pass runs again, retrying mail that failed and catching
// what intake parsed while the key was still locked but committed after
// the unlock's pass.
const (
	pendingPoll  = 10 * time.Second
	pendingSweep = 5 * time.Minute
)

// run is the worker that decrypts pending mail: all of it each time it is
// woken (at unlock, and once at start when serve starts unlocked) and every
// pendingSweep, the new entries every pendingPoll.
func (k *teamKeyControl) run(ctx context.Context) {
	if k.key.Unlocked() {
		k.d.StartSealedIndex() // unlocked at start: build the search index of sealed reports now
		k.wake()
	}
	tick := k.tick
	if tick == nil {
		t := time.NewTicker(pendingPoll)
		defer t.Stop()
		tick = t.C
	}
	lastFull := time.Now()
	for {
		full := true
		select {
		case <-ctx.Done():
			return
		case <-k.kick:
		case <-tick:
			if !k.key.Unlocked() {
				continue
			}
			full = time.Since(lastFull) >= pendingSweep
		}
		var n int
		var err error
		if full {
			lastFull = time.Now()
			if h, err := k.d.HashAddresses(ctx); err != nil && !errors.Is(err, context.Canceled) {
				k.log.Error("hashing sealed reporter addresses", "error", err, "done", h)
			}
			n, k.seen, err = mailin.DecryptNewPending(ctx, k.d, k.pgp, mailin.DefaultLimits, k.log, 0)
		} else {
			n, k.seen, err = mailin.DecryptNewPending(ctx, k.d, k.pgp, mailin.DefaultLimits, k.log, k.seen)
		}
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
