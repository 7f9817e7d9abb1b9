package mailin

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base32"
	"fmt"
	"strings"

	"github.com/disclose/disclose/db"
)

// take turns one fetched message into what it is and commits it. It returns
// true when the message may be flagged and moved: committed, or set aside
// after MaxAttempts failures. An error means the database is unwell and the
// poll stops; a failure of this one message is recorded, not returned.
func (in *Intake) take(ctx context.Context, uidValidity, uid uint32, sp *spool, sum string, stats *PollStats) (bool, error) {
	// The message in hand is finished even when shutdown begins meanwhile.
	ctx = context.WithoutCancel(ctx)
	m, res, failure := in.ingest(ctx, uidValidity, uid, sp, sum)
	if failure == nil {
		stats.add(res)
		return true, nil
	}
	n, err := in.store.RecordMailFailure(ctx, in.cfg.Mailbox, uidValidity, uid, failure.Error())
	if err != nil {
		return false, err
	}
	in.log.Warn("mail intake: message failed", "uid", uid, "attempt", n, "of", in.cfg.MaxAttempts, "error", failure)
	if n < in.cfg.MaxAttempts {
		stats.Failed++
		return false, nil
	}
	keep := &db.InboundMail{Mailbox: in.cfg.Mailbox, UIDValidity: uidValidity, UID: uid, Raw: sp.Reader(), RawSize: sp.Size(), RawSHA256: sum}
	if m != nil {
		keep.MessageID, keep.FromEmail, keep.Subject = m.MessageID, m.FromEmail, m.Subject
	}
	if err := in.store.SetAsideMail(ctx, keep, failure.Error(), n); err != nil {
		return false, err
	}
	in.log.Warn("mail intake: message set aside for admins", "uid", uid, "attempts", n)
	stats.SetAside++
	return true, nil
}

// ingest parses and stores one message; a panic anywhere in it becomes this
// message's failure, so one bad message never stops the loop.
func (in *Intake) ingest(ctx context.Context, uidValidity, uid uint32, sp *spool, sum string) (m *db.InboundMail, res *db.IngestResult, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("mailin: panic while taking uid %d: %v", uid, r)
		}
	}()
	m, err = parse(sp.Reader(), in.cfg.Limits, in.cfg.SpoolDir)
	if err != nil {
		return nil, nil, err
	}
	m.Mailbox, m.UIDValidity, m.UID = in.cfg.Mailbox, uidValidity, uid
	m.Raw, m.RawSize, m.RawSHA256 = sp.Reader(), sp.Size(), sum
	res, err = in.store.IngestMail(ctx, m, db.IngestOptions{Ack: in.ack, MaxTextRunes: int(in.cfg.Limits.MaxTextBytes)})
	if err != nil {
		return m, nil, fmt.Errorf("mailin: store uid %d: %w", uid, err)
	}
	return m, res, nil
}

// ack composes the acknowledgement of a mailed report: the reference in the
// subject so replies thread, and nothing of the report's content, so a
// forged From learns nothing. It is marked auto-submitted (RFC 3834) so that
// auto-responders do not answer it.
func (in *Intake) ack(r *db.Report, m *db.InboundMail) *db.OutMail {
	if m.FromEmail == "" || m.Auto != "" {
		return nil
	}
	for _, own := range in.cfg.OwnAddresses {
		if strings.EqualFold(own, m.FromEmail) {
			return nil
		}
	}
	subject := strings.TrimSpace(m.Subject)
	if subject == "" {
		subject = "your report"
	}
	refs := append([]string(nil), m.References...)
	if m.MessageID != "" {
		refs = append(refs, m.MessageID)
	}
	if len(refs) > 20 {
		refs = refs[len(refs)-20:]
	}
	body := fmt.Sprintf(`Thank you for your report. We received it and filed it as %s.

We will read it and get back to you. To add information, reply to this mail
and keep [%s] in the subject.

This acknowledgement was sent automatically.
`, r.Ref(), r.Ref())
	return &db.OutMail{
		ReportID:      r.ID,
		Kind:          "ack",
		MessageID:     NewMessageID(in.cfg.MessageIDDomain),
		InReplyTo:     m.MessageID,
		References:    refs,
		To:            m.FromEmail,
		Subject:       "[" + r.Ref() + "] Re: " + cutSubject(subject),
		Body:          body,
		AutoSubmitted: true,
	}
}

func cutSubject(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 150 {
		return string(r[:150])
	}
	return s
}

// NewMessageID makes a Message-ID that cannot be guessed, so that threading
// by In-Reply-To cannot be forged by someone who never saw the mail.
func NewMessageID(domain string) string {
	b := make([]byte, 20)
	rand.Read(b)
	return "<" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)) + "@" + domain + ">"
}

func tlsConfigFor(host string) *tls.Config {
	return &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
}
