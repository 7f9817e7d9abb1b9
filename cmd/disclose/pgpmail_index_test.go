package main

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin/pgp"
)

// The search index of sealed reports is built in the background as soon as
// the key is unlocked, from the dashboard or at start with the passphrase,
// not at the first search; a lock drops it.
func TestTeamKeyControlBuildsSealedIndex(t *testing.T) {
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	key, err := pgp.Generate(pgp.GenerateOptions{Email: "security@example.org"}, []byte("team passphrase"), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	open := func(t *testing.T) *db.DB {
		d, err := db.Open(ctx, filepath.Join(t.TempDir(), "disclose.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		d.SetSealer(key, true)
		p, _ := d.DefaultProgram(ctx)
		if _, err := d.CreateReport(ctx, &db.NewReport{ProgramID: p.ID, Source: db.SourceWeb, Title: "Okapi overflow", Description: "The okapi handler."}); err != nil {
			t.Fatal(err)
		}
		return d
	}

	t.Run("Dashboard", func(t *testing.T) {
		key.Lock()
		d := open(t)
		ctl, _, _ := wireTeamKey(key, d, db.NewProblems(quiet), quiet)
		if st := d.SealedIndex(); st.State != db.SealedIndexOff {
			t.Fatalf("locked: %+v", st)
		}
		if err := ctl.Unlock([]byte("team passphrase")); err != nil {
			t.Fatal(err)
		}
		if st := d.SealedIndex(); st.State == db.SealedIndexOff {
			t.Fatalf("right after the unlock, before any search: %+v, want building or ready", st)
		}
		ctl.Lock()
		if st := d.SealedIndex(); st.State != db.SealedIndexOff {
			t.Fatalf("after the lock: %+v", st)
		}
	})
	t.Run("Start", func(t *testing.T) {
		if err := key.Unlock([]byte("team passphrase")); err != nil {
			t.Fatal(err)
		}
		d := open(t)
		ctl, _, _ := wireTeamKey(key, d, db.NewProblems(quiet), quiet)
		passed := make(chan struct{}, 1)
		ctl.passed = func(int, error) { passed <- struct{}{} }
		wctx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); ctl.run(wctx) }()
		defer func() { stop(); <-done }()
		<-passed // the first pending pass runs after the index was started
		if st := d.SealedIndex(); st.State == db.SealedIndexOff {
			t.Fatalf("started unlocked: %+v, want building or ready", st)
		}
	})
}
