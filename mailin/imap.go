package mailin

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"sort"
	"syscall"
	"time"

	"github.com/disclose/disclose/db/spool"
	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-message/charset"
)

// dial connects and logs in with the configured TLS mode.
func (in *Intake) dial() (*imapclient.Client, error) {
	opts := &imapclient.Options{
		TLSConfig:   in.cfg.TLSConfig,
		WordDecoder: &mime.WordDecoder{CharsetReader: charset.Reader},
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			Mailbox: func(data *imapclient.UnilateralDataMailbox) {
				if data.NumMessages != nil {
					select {
					case in.newMail <- struct{}{}:
					default:
					}
				}
			},
		},
	}
	if opts.TLSConfig == nil {
		host, _, _ := net.SplitHostPort(in.cfg.Addr)
		opts.TLSConfig = tlsConfigFor(host)
	}
	if in.cfg.CheckAddr {
		reach := in.cfg.Reach
		opts.Dialer = &net.Dialer{Timeout: 30 * time.Second,
			Control: func(network, address string, _ syscall.RawConn) error {
				return checkDialAddr(address, reach)
			}}
	}
	var c *imapclient.Client
	var err error
	switch in.cfg.TLS {
	case TLSImplicit:
		c, err = imapclient.DialTLS(in.cfg.Addr, opts)
	case TLSStart:
		c, err = imapclient.DialStartTLS(in.cfg.Addr, opts)
	default:
		c, err = imapclient.DialInsecure(in.cfg.Addr, opts)
	}
	if err != nil {
		return nil, fmt.Errorf("mailin: connect to %s: %w", in.cfg.Addr, err)
	}
	if err := c.Login(in.cfg.User, in.cfg.Password).Wait(); err != nil {
		c.Close()
		return nil, fmt.Errorf("mailin: log in to %s as %s: %w", in.cfg.Addr, in.cfg.User, err)
	}
	if err := in.ensureProcessed(c); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// ensureProcessed creates the processed folder when it does not exist.
func (in *Intake) ensureProcessed(c *imapclient.Client) error {
	list, err := c.List("", in.cfg.Processed, nil).Collect()
	if err != nil {
		return fmt.Errorf("mailin: list %s: %w", in.cfg.Processed, err)
	}
	if len(list) > 0 {
		return nil
	}
	err = c.Create(in.cfg.Processed, nil).Wait()
	var ie *imap.Error
	if err != nil && !(errors.As(err, &ie) && ie.Code == imap.ResponseCodeAlreadyExists) {
		return fmt.Errorf("mailin: create %s: %w", in.cfg.Processed, err)
	}
	in.log.Info("mail intake: created the processed folder", "folder", in.cfg.Processed)
	return nil
}

// poll takes every waiting message of the mailbox. Messages committed in an
// earlier poll but not moved (a crash in between) are only flagged and moved.
func (in *Intake) poll(ctx context.Context, c *imapclient.Client) (*PollStats, error) {
	stats := &PollStats{}
	sel, err := c.Select(in.cfg.Mailbox, nil).Wait()
	if err != nil {
		return stats, fmt.Errorf("mailin: select %s: %w", in.cfg.Mailbox, err)
	}
	st, err := in.syncMailbox(context.WithoutCancel(ctx), sel.UIDValidity)
	if err != nil {
		return stats, err
	}
	if st.Reset {
		in.log.Warn("mail intake: UIDVALIDITY changed; reading the mailbox again (nothing is added twice)", "mailbox", in.cfg.Mailbox, "uidvalidity", sel.UIDValidity)
	}
	if sel.NumMessages == 0 {
		return stats, nil
	}
	// Only the selected mail (Config.criteria) is ever fetched, flagged or
	// moved: the rest of a shared mailbox stays as it is.
	found, err := c.UIDSearch(in.cfg.criteria(), nil).Wait()
	if err != nil {
		return stats, fmt.Errorf("mailin: search %s: %w", in.cfg.Mailbox, err)
	}
	retry := map[uint32]bool{}
	for _, uid := range st.Retry {
		retry[uid] = true
	}
	var todo, done []imap.UID
	uids := found.AllUIDs()
	sort.Slice(uids, func(i, j int) bool { return uids[i] < uids[j] })
	for _, uid := range uids {
		if uint32(uid) > st.LastUID || retry[uint32(uid)] {
			todo = append(todo, uid)
		} else {
			done = append(done, uid)
		}
	}
	stats.Backlog = len(todo)
	// Each batch is flagged and moved in the background once it committed,
	// while the next one is fetched and committed.
	fin := &finisher{in: in, c: c}
	defer func() {
		// On an early return, leave no command behind; its error is second
		// to the one returned.
		if err := fin.wait(); err != nil {
			in.log.Warn("mail intake: flag and move after an earlier error", "error", err)
		}
		stats.FinishTime, stats.Moved = fin.took, fin.moved
	}()
	if err := fin.start(done); err != nil {
		return stats, err
	}
	var fetchErr error
	for i := 0; i < len(todo) && ctx.Err() == nil; i += in.cfg.BatchSize {
		batch := todo[i:min(i+in.cfg.BatchSize, len(todo))]
		got, err := in.fetchBatch(ctx, c, sel.UIDValidity, batch, stats)
		if serr := fin.start(got); serr != nil {
			return stats, serr
		}
		if err != nil {
			fetchErr = err
			break
		}
	}
	start := time.Now()
	err = fin.wait()
	stats.FinishWait = time.Since(start)
	if err != nil {
		return stats, err
	}
	return stats, fetchErr
}

// Read-ahead bounds: messages are taken in groups committed together, so a
// group is at most this many messages or bytes held (small mail stays in
// memory, larger mail is spooled to disk).
const (
	groupMessages = 64
	groupBytes    = 4 << 20
)

// fetchBatch streams a batch of messages. One goroutine reads and parses
// them as they arrive while this one commits what has arrived so far in
// groups, so the fetch and the database work overlap. It returns the UIDs
// that committed (or were set aside) and may be moved.
func (in *Intake) fetchBatch(ctx context.Context, c *imapclient.Client, uidValidity uint32, batch []imap.UID, stats *PollStats) ([]imap.UID, error) {
	if err := in.startReading(ctx, uidValidity, batch); err != nil {
		return nil, err
	}
	cmd := c.Fetch(imap.UIDSetNum(batch...), &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{{Peek: true}}})
	rctx, stopReading := context.WithCancel(ctx)
	defer stopReading()
	items := make(chan *fetched, groupMessages)
	var readErr error // written before items is closed
	go func() {
		defer close(items)
		defer in.doneReading(ctx, uidValidity)
		defer func() {
			if r := recover(); r != nil {
				readErr = fmt.Errorf("mailin: panic while fetching: %v", r)
			}
		}()
		for rctx.Err() == nil { // stop between messages; the rest waits for the next poll
			msg := cmd.Next()
			if msg == nil {
				break
			}
			f, err := in.readOne(ctx, msg, uidValidity)
			if err != nil {
				readErr = err
				break
			}
			f.mem = memoryOf(f)
			in.inflight.acquire(f.mem) // bounds the messages read ahead
			items <- f
		}
		if err := cmd.Close(); err != nil && readErr == nil && rctx.Err() == nil {
			readErr = fmt.Errorf("mailin: fetch: %w", err)
		}
	}()

	var finished []imap.UID
	var dbErr error
	for f := range items {
		group, size := []*fetched{f}, f.sp.Size()
	more:
		for len(group) < groupMessages && size < groupBytes {
			select {
			case g, ok := <-items:
				if !ok {
					break more
				}
				group, size = append(group, g), size+g.sp.Size()
			default:
				break more
			}
		}
		stats.Fetched += len(group)
		for _, g := range group {
			stats.ParseTime += g.parseTime
		}
		if dbErr == nil {
			var done []imap.UID
			start := time.Now()
			done, dbErr = in.takeGroup(ctx, uidValidity, group, stats)
			stats.StoreTime += time.Since(start)
			finished = append(finished, done...)
			if dbErr != nil {
				stopReading()
			}
		}
		for _, g := range group {
			g.close()
			in.inflight.release(g.mem)
		}
	}
	if dbErr != nil {
		return finished, dbErr
	}
	return finished, readErr
}

// readOne spools one message as it streams in, hashing it, and parses it.
func (in *Intake) readOne(ctx context.Context, msg *imapclient.FetchMessageData, uidValidity uint32) (*fetched, error) {
	f := &fetched{sp: &spool.Spool{Dir: in.cfg.SpoolDir}}
	h := sha256.New()
	var readErr error
	for item := msg.Next(); item != nil; item = msg.Next() {
		switch it := item.(type) {
		case imapclient.FetchItemDataUID:
			f.uid = uint32(it.UID)
		case imapclient.FetchItemDataBodySection:
			if it.Literal == nil { // NIL: the server has no body for it
				continue
			}
			f.sp.Grow(it.Literal.Size())
			if _, err := copyPooled(io.MultiWriter(f.sp, h), it.Literal); err != nil {
				readErr = err
			}
		}
	}
	if readErr != nil || f.uid == 0 {
		f.sp.Close()
		if readErr == nil {
			readErr = errors.New("no UID in FETCH response")
		}
		return nil, fmt.Errorf("mailin: fetch: %w", readErr)
	}
	f.sum = hex.EncodeToString(h.Sum(nil))
	start := time.Now()
	f.mail, f.err = in.parseOne(ctx, uidValidity, f)
	f.parseTime = time.Since(start)
	return f, nil
}
