package mailin

import (
	"context"
	"crypto/tls"
	"fmt"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/db/spool"
	"github.com/emersion/go-imap/v2"
)

// fetched is one message read from the server, waiting to be committed.
type fetched struct {
	uid  uint32
	sp   *spool.Spool
	sum  string // sha256 of the raw bytes, hex
	mail *db.InboundMail
	err  error // this message's failure so far
	// parts are the spools of its large attachments (InboundMail.Spooled).
	parts []*spool.Spool
	// stopped is how often the portal stopped while reading it, when that
	// reached the attempt limit: it is then set aside without being read.
	stopped int
	mem     int64 // what it holds in memory until committed (inflight)

	parseTime time.Duration
}

// close drops the message's bytes and those of its attachments.
func (f *fetched) close() {
	f.sp.Close()
	closeSpools(f.parts)
	f.parts = nil
}

// parseOne parses a fetched message; a panic becomes its failure, so one bad
// message never stops the loop. What a recover cannot catch (running out of
// memory, a kill) is caught by the mark committed before the parse starts
// (startReading): a message that stopped the portal as often as
// MaxAttempts is set aside without being read again.
func (in *Intake) parseOne(ctx context.Context, uidValidity uint32, f *fetched) (m *db.InboundMail, err error) {
	if n := in.stopped[f.uid]; n >= in.cfg.MaxAttempts {
		f.stopped = n
		return nil, fmt.Errorf("mailin: uid %d: %s, %d times; it was set aside without being read again", f.uid, db.MailStopped, n)
	}
	if in.exact {
		if err := in.store.MarkMailReading(context.WithoutCancel(ctx), in.cfg.key(), uidValidity, f.uid, f.uid); err != nil {
			return nil, fmt.Errorf("mailin: uid %d: %w", f.uid, err)
		}
	}
	defer func() {
		if r := recover(); r != nil {
			m, err = nil, fmt.Errorf("mailin: panic while parsing uid %d: %v", f.uid, r)
		}
	}()
	m, f.parts, err = parseSpooled(ctx, f.sp.Reader(), in.cfg.Limits, in.cfg.SpoolDir, in.pgp, true)
	if err != nil {
		return nil, err
	}
	m.Mailbox, m.UIDValidity, m.UID = in.cfg.key(), uidValidity, f.uid
	m.RawSize, m.RawSHA256 = f.sp.Size(), f.sum
	return m, nil
}

// takeGroup commits a group of parsed messages, in UID order, in as few
// transactions as it can, and records each failure before any later message
// commits (so the stored mailbox position never passes an unrecorded
// failure). It returns the UIDs that may be flagged and moved: committed, or
// set aside after MaxAttempts failures. An error means the database is
// unwell (a failure could not be recorded) and the poll stops; a failure of
// one message is recorded, not returned.
func (in *Intake) takeGroup(ctx context.Context, uidValidity uint32, group []*fetched, stats *PollStats) ([]imap.UID, error) {
	// The messages in hand are finished even when shutdown begins meanwhile.
	ctx = context.WithoutCancel(ctx)
	var done []imap.UID
	for len(group) > 0 {
		n := 0
		for n < len(group) && group[n].err == nil {
			n++
		}
		ok := group[:n]
		for len(ok) > 0 {
			batch := make([]*db.InboundMail, len(ok))
			for i, f := range ok {
				f.mail.OpenRaw = f.sp.Reader
				batch[i] = f.mail
			}
			// The messages before a failure are committed, the failing one
			// is ok[len(res)], the ones after it were not tried.
			store := IngestMailBatch
			if in.storeBatch != nil {
				store = in.storeBatch
			}
			res, err := store(ctx, in.store, batch, IngestOptions{MaxTextRunes: int(in.cfg.Limits.MaxTextBytes),
				OwnAddresses: in.cfg.OwnAddresses, MessageIDDomain: in.cfg.MessageIDDomain, ProgramID: in.cfg.ProgramID})
			for i, r := range res {
				stats.add(r)
				done = append(done, imap.UID(ok[i].uid))
			}
			if err == nil {
				break
			}
			bad := ok[len(res)]
			bad.err = fmt.Errorf("mailin: store uid %d: %w", bad.uid, err)
			moved, err := in.fail(ctx, uidValidity, bad, stats)
			if err != nil {
				return done, err
			}
			if moved {
				done = append(done, imap.UID(bad.uid))
			}
			ok = ok[len(res)+1:]
		}
		group = group[n:]
		if len(group) > 0 { // group[0] failed to parse
			moved, err := in.fail(ctx, uidValidity, group[0], stats)
			if err != nil {
				return done, err
			}
			if moved {
				done = append(done, imap.UID(group[0].uid))
			}
			group = group[1:]
		}
	}
	return done, nil
}

// fail records a failed attempt at a message and sets it aside, raw with its
// error, once it failed MaxAttempts times; it then may be moved.
func (in *Intake) fail(ctx context.Context, uidValidity uint32, f *fetched, stats *PollStats) (bool, error) {
	n := f.stopped // those attempts are counted already
	if n == 0 {
		var err error
		if n, err = in.store.RecordMailFailure(ctx, in.cfg.key(), uidValidity, f.uid, f.err.Error()); err != nil {
			return false, err
		}
	}
	in.log.Warn("mail intake: message failed", "uid", f.uid, "attempt", n, "of", in.cfg.MaxAttempts, "error", f.err)
	if n < in.cfg.MaxAttempts {
		stats.Failed++
		return false, nil
	}
	keep := &db.InboundMail{Mailbox: in.cfg.key(), UIDValidity: uidValidity, UID: f.uid, OpenRaw: f.sp.Reader, RawSize: f.sp.Size(), RawSHA256: f.sum}
	if f.mail != nil {
		keep.MessageID, keep.FromEmail, keep.Subject = f.mail.MessageID, f.mail.FromEmail, f.mail.Subject
	}
	if err := in.store.SetAsideMail(ctx, keep, f.err.Error(), n); err != nil {
		return false, err
	}
	in.log.Warn("mail intake: message set aside for admins", "uid", f.uid, "attempts", n)
	stats.SetAside++
	return true, nil
}

// syncMailbox is Store.SyncMailbox that keeps, for parseOne, the messages
// whose reading stopped the portal and the range to read carefully.
func (in *Intake) syncMailbox(ctx context.Context, uidValidity uint32) (*db.MailboxState, error) {
	st, err := in.store.SyncMailbox(ctx, in.cfg.key(), uidValidity)
	if err != nil {
		return nil, err
	}
	in.stopped, in.careful = st.Stopped, st.Careful
	for uid, n := range st.Stopped {
		in.log.Warn("mail intake: the portal stopped while reading a message", "uid", uid, "attempt", n, "of", in.cfg.MaxAttempts)
	}
	if st.Careful[1] != 0 {
		in.log.Warn("mail intake: the portal stopped while reading these messages; they are read one marked message at a time", "from", st.Careful[0], "to", st.Careful[1])
	}
	return st, nil
}

// startReading commits the mark of reading a batch (its UIDs in order)
// before any of it is parsed: one write for the batch. A batch that meets
// the careful range is marked message by message instead (parseOne), so
// that a stop names its message.
func (in *Intake) startReading(ctx context.Context, uidValidity uint32, batch []imap.UID) error {
	from, to := uint32(batch[0]), uint32(batch[len(batch)-1])
	in.exact = in.careful[1] != 0 && from <= in.careful[1] && to >= in.careful[0]
	if in.exact || from == to {
		in.exact = true
		return nil
	}
	if err := in.store.MarkMailReading(context.WithoutCancel(ctx), in.cfg.key(), uidValidity, from, to); err != nil {
		return fmt.Errorf("mailin: mark the batch being read: %w", err)
	}
	return nil
}

// doneReading clears the mark once a batch is read, so that a later stop is
// not taken for the fault of messages that were read well.
func (in *Intake) doneReading(ctx context.Context, uidValidity uint32) {
	if err := in.store.MarkMailReading(context.WithoutCancel(ctx), in.cfg.key(), uidValidity, 0, 0); err != nil {
		in.log.Warn("mail intake: clear the reading mark", "error", err)
	}
}

// NewMessageID makes a Message-ID that cannot be guessed, so that threading
// by In-Reply-To cannot be forged by someone who never saw the mail
// (db.NewMessageID: 160 random bits after the time).
func NewMessageID(domain string) string {
	return db.NewMessageID(time.Now(), domain)
}

func tlsConfigFor(host string) *tls.Config {
	return &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
}
