package mailin

import (
	"fmt"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// finisher flags and moves committed messages in the background, one batch
// at a time, so that the server's work on a batch overlaps the fetch and
// the commits of the next. Only committed (or set-aside) UIDs are given to
// it, so a message is still never moved before what it became committed.
// All commands are UID commands on disjoint UID sets, which RFC 9051
// section 5.5 allows to run pipelined with the next UID FETCH.
type finisher struct {
	in   *Intake
	c    *imapclient.Client
	busy chan error // nil when idle

	// Written by the background goroutine, read after wait.
	took  time.Duration
	moved int
}

// start waits for the batch before, then flags and moves uids in the
// background. The intake's beforeFinish hook runs first (tests simulate a
// crash between commit and flag with it).
func (f *finisher) start(uids []imap.UID) error {
	if len(uids) == 0 {
		return nil
	}
	if err := f.wait(); err != nil {
		return err
	}
	if f.in.beforeFinish != nil {
		if err := f.in.beforeFinish(); err != nil {
			return err
		}
	}
	ch := make(chan error, 1)
	f.busy = ch
	go func() {
		var err error
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("mailin: panic while flagging and moving: %v", r)
			}
			ch <- err
		}()
		start := time.Now()
		err = f.in.finish(f.c, uids)
		f.took += time.Since(start)
		if err == nil {
			f.moved += len(uids)
		}
	}()
	return nil
}

// wait returns when no batch is being finished, with the error of the last.
func (f *finisher) wait() error {
	if f.busy == nil {
		return nil
	}
	err := <-f.busy
	f.busy = nil
	return err
}

// finish flags committed messages \Seen and moves them to the processed
// folder (MOVE, or COPY + \Deleted + EXPUNGE where MOVE is missing).
func (in *Intake) finish(c *imapclient.Client, uids []imap.UID) error {
	if len(uids) == 0 {
		return nil
	}
	set := imap.UIDSetNum(uids...)
	if err := c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close(); err != nil {
		return fmt.Errorf("mailin: flag seen: %w", err)
	}
	caps := c.Caps()
	if caps.Has(imap.CapMove) || caps.Has(imap.CapIMAP4rev2) {
		if _, err := c.Move(set, in.cfg.Processed).Wait(); err != nil {
			return fmt.Errorf("mailin: move to %s: %w", in.cfg.Processed, err)
		}
		return nil
	}
	if _, err := c.Copy(set, in.cfg.Processed).Wait(); err != nil {
		return fmt.Errorf("mailin: copy to %s: %w", in.cfg.Processed, err)
	}
	if err := c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
		return fmt.Errorf("mailin: flag deleted: %w", err)
	}
	var err error
	if caps.Has(imap.CapUIDPlus) {
		err = c.UIDExpunge(set).Close()
	} else {
		err = c.Expunge().Close()
	}
	if err != nil {
		return fmt.Errorf("mailin: expunge: %w", err)
	}
	return nil
}
