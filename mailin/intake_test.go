package mailin

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
)

func reportCount(t *testing.T, d *db.DB) int64 {
	t.Helper()
	n, err := d.CountReports(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func timeline(t *testing.T, d *db.DB, ref string) (*db.Report, []*db.Message) {
	t.Helper()
	r, err := d.ReportByRef(context.Background(), ref)
	if err != nil {
		t.Fatalf("report %s: %v", ref, err)
	}
	msgs, err := d.Timeline(context.Background(), r.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	return r, msgs
}

func inbound(msgs []*db.Message) []*db.Message {
	var out []*db.Message
	for _, m := range msgs {
		if m.Kind == db.KindInbound {
			out = append(out, m)
		}
	}
	return out
}

// ackOf returns the Message-ID, recipient and In-Reply-To of the
// acknowledgement written for a report.
func ackOf(t *testing.T, d *db.DB, reportID int64) (msgID, to, inReplyTo string) {
	t.Helper()
	err := peek(t, d).QueryRow(`SELECT message_id, to_addr, in_reply_to FROM outbox WHERE report_id = ? AND kind = 'ack'`, reportID).Scan(&msgID, &to, &inReplyTo)
	if err != nil {
		t.Fatalf("ack of report %d: %v", reportID, err)
	}
	return
}

func TestIntake(t *testing.T) {
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		srv, d := startMemIMAP(t, nil), mustOpenDB(t)
		in := newTestIntake(t, srv.addr, d)
		srv.deliver(t, "INBOX", mailText("Ann Finder <ann@researcher.test>", "XSS in search", "<r1@researcher.test>", "", "The search box reflects <script>.\n"))
		stats := pollOnce(t, in)
		if got, want := stats.Reports, 1; got != want {
			t.Fatalf("reports = %d, want %d", got, want)
		}
		r, msgs := timeline(t, d, "SEC-1")
		if got, want := r.Title, "XSS in search"; got != want {
			t.Errorf("title = %q, want %q", got, want)
		}
		if got, want := r.Source, db.SourceEmail; got != want {
			t.Errorf("source = %q, want %q", got, want)
		}
		if got, want := r.Reporter.Email, "ann@researcher.test"; got != want {
			t.Errorf("reporter = %q, want %q", got, want)
		}
		if got, want := r.Reporter.Name, "Ann Finder"; got != want {
			t.Errorf("reporter name = %q, want %q", got, want)
		}
		if !strings.Contains(r.Description, "reflects <script>") {
			t.Errorf("description = %q", r.Description)
		}
		if got, want := len(msgs), 1; got != want {
			t.Fatalf("timeline has %d entries, want %d", got, want)
		}
		_, to, irt := ackOf(t, d, r.ID)
		if to != "ann@researcher.test" || irt != "<r1@researcher.test>" {
			t.Errorf("ack to %q in reply to %q", to, irt)
		}
		if got, want := srv.count(t, "INBOX"), uint32(0); got != want {
			t.Errorf("INBOX has %d, want %d", got, want)
		}
		if got, want := srv.count(t, "Processed"), uint32(1); got != want {
			t.Errorf("Processed has %d, want %d", got, want)
		}
		if got := srv.unseen(t, "Processed"); got != 0 {
			t.Errorf("Processed has %d unseen, want 0", got)
		}
		raw, err := d.RawMailOf(ctx, r.ID, msgs[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		if err := d.WriteRawMail(ctx, raw.ID, &b); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), "Message-ID: <r1@researcher.test>") || int64(b.Len()) != raw.Size {
			t.Errorf("raw mail not kept whole (%d bytes of %d)", b.Len(), raw.Size)
		}
	})

	t.Run("ReplyByInReplyTo", func(t *testing.T) {
		srv, d := startMemIMAP(t, nil), mustOpenDB(t)
		in := newTestIntake(t, srv.addr, d)
		srv.deliver(t, "INBOX", mailText("ann@researcher.test", "SQLi", "<r1@researcher.test>", "", "login form\n"))
		pollOnce(t, in)
		r, _ := timeline(t, d, "SEC-1")
		ackID, _, _ := ackOf(t, d, r.ID)
		// A reply to our acknowledgement, from another address and without
		// any tag: the In-Reply-To alone threads it.
		srv.deliver(t, "INBOX", mailText("colleague@researcher.test", "Re: your report", "<r2@researcher.test>", "In-Reply-To: "+ackID, "Here is a PoC.\n"))
		stats := pollOnce(t, in)
		if got, want := stats.Replies, 1; got != want {
			t.Fatalf("replies = %d, want %d", got, want)
		}
		_, msgs := timeline(t, d, "SEC-1")
		in2 := inbound(msgs)
		if got, want := len(in2), 2; got != want {
			t.Fatalf("inbound entries = %d, want %d", got, want)
		}
		if got, want := in2[1].Body, "Here is a PoC."; got != want {
			t.Errorf("reply body = %q, want %q", got, want)
		}
		if got, want := reportCount(t, d), int64(1); got != want {
			t.Errorf("reports = %d, want %d", got, want)
		}
	})

	t.Run("ReplyByReferences", func(t *testing.T) {
		srv, d := startMemIMAP(t, nil), mustOpenDB(t)
		in := newTestIntake(t, srv.addr, d)
		srv.deliver(t, "INBOX", mailText("ann@researcher.test", "SQLi", "<r1@researcher.test>", "", "login form\n"))
		pollOnce(t, in)
		srv.deliver(t, "INBOX", mailText("ann@researcher.test", "more", "<r3@researcher.test>",
			"References: <unrelated@elsewhere.test> <r1@researcher.test>", "Also the signup form.\n"))
		if got, want := pollOnce(t, in).Replies, 1; got != want {
			t.Fatalf("replies = %d, want %d", got, want)
		}
		if got, want := reportCount(t, d), int64(1); got != want {
			t.Errorf("reports = %d, want %d", got, want)
		}
	})

	t.Run("ReplyByTagFromReporter", func(t *testing.T) {
		srv, d := startMemIMAP(t, nil), mustOpenDB(t)
		in := newTestIntake(t, srv.addr, d)
		srv.deliver(t, "INBOX", mailText("Ann@Researcher.test", "SQLi", "<r1@researcher.test>", "", "login form\n"))
		pollOnce(t, in)
		r, _ := timeline(t, d, "SEC-1")
		// The report waits on the reporter. A mail with only the tag and her
		// address reaches the report, unverified: it moves nothing until a
		// triager accepts it (TestMailTrustTagOnly has the forged side).
		setState(t, d, r.ID, "needs_info", "triaged")
		srv.deliver(t, "INBOX", mailText("ann@researcher.test", "[SEC-1] the details you asked for", "<r4@researcher.test>", "", "Version 2.3.\n"))
		if got, want := pollOnce(t, in).Replies, 1; got != want {
			t.Fatalf("replies = %d, want %d", got, want)
		}
		r, msgs := timeline(t, d, "SEC-1")
		last := inbound(msgs)[1]
		if r.State != db.StateNeedsInfo || !last.Unverified || last.Public {
			t.Fatalf("state %q, entry unverified=%v public=%v; want needs_info and a staff-only unverified entry", r.State, last.Unverified, last.Public)
		}
		if err := d.AcceptMail(ctx, r.ID, last.ID, db.Actor{Name: "tri@example.org"}); err != nil {
			t.Fatal(err)
		}
		r, _ = timeline(t, d, "SEC-1")
		if got, want := r.State, db.StateTriaged; got != want {
			t.Errorf("state after accepting = %q, want %q", got, want)
		}
	})

	t.Run("ErrTagFromStranger", func(t *testing.T) {
		srv, d := startMemIMAP(t, nil), mustOpenDB(t)
		in := newTestIntake(t, srv.addr, d)
		srv.deliver(t, "INBOX", mailText("ann@researcher.test", "SQLi", "<r1@researcher.test>", "", "login form\n"))
		pollOnce(t, in)
		// Someone else quotes the tag and sets Reply-To to the reporter: it is
		// still a stranger, so a new report opens instead.
		srv.deliver(t, "INBOX", mailText("mallory@evil.test", "[SEC-1] close this please", "<m1@evil.test>", "Reply-To: ann@researcher.test", "ignore\n"))
		stats := pollOnce(t, in)
		if stats.Reports != 1 || stats.Replies != 0 {
			t.Fatalf("stats = %+v, want one new report and no reply", stats)
		}
		_, msgs := timeline(t, d, "SEC-1")
		if got, want := len(inbound(msgs)), 1; got != want {
			t.Errorf("SEC-1 has %d inbound entries, want %d", got, want)
		}
		r2, _ := timeline(t, d, "SEC-2")
		if got, want := r2.Reporter.Email, "mallory@evil.test"; got != want {
			t.Errorf("SEC-2 reporter = %q, want %q", got, want)
		}
	})

	t.Run("AutoReply", func(t *testing.T) {
		srv, d := startMemIMAP(t, nil), mustOpenDB(t)
		in := newTestIntake(t, srv.addr, d)
		srv.deliver(t, "INBOX", mailText("bob@example.net", "Out of office", "<a1@example.net>", "Auto-Submitted: auto-replied", "I am away.\n"))
		srv.deliver(t, "INBOX", mailText("news@example.net", "Newsletter", "<a2@example.net>", "Precedence: bulk", "News.\n"))
		srv.deliver(t, "INBOX", mailText("list@example.net", "List digest", "<a3@example.net>", "Precedence: list", "Digest.\n"))
		srv.deliver(t, "INBOX", mailText("MAILER-DAEMON@example.net", "Undeliverable", "<a4@example.net>", "Return-Path: <>", "Failed.\n"))
		stats := pollOnce(t, in)
		if got, want := stats.Kept, 4; got != want {
			t.Fatalf("kept = %d, want %d (%+v)", got, want, stats)
		}
		if got := reportCount(t, d); got != 0 {
			t.Errorf("reports = %d, want 0", got)
		}
		kept, err := d.KeptMail(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := len(kept), 4; got != want {
			t.Fatalf("kept mail = %d, want %d", got, want)
		}
		if got, want := kept[3].Note, "Auto-Submitted: auto-replied"; got != want {
			t.Errorf("note = %q, want %q", got, want)
		}
		if got, want := kept[0].Kind, db.MailBounce; got != want {
			t.Errorf("empty return path kind = %q, want %q", got, want)
		}
		if got := srv.count(t, "INBOX"); got != 0 {
			t.Errorf("INBOX has %d, want 0", got)
		}
	})

	t.Run("BounceMarksOutboxFailed", func(t *testing.T) {
		srv, d := startMemIMAP(t, nil), mustOpenDB(t)
		in := newTestIntake(t, srv.addr, d)
		srv.deliver(t, "INBOX", mailText("ann@researcher.test", "SQLi", "<r1@researcher.test>", "", "login form\n"))
		pollOnce(t, in)
		r, _ := timeline(t, d, "SEC-1")
		ackID, _, _ := ackOf(t, d, r.ID)
		srv.deliver(t, "INBOX", dsn(ackID))
		stats := pollOnce(t, in)
		if got, want := stats.Kept, 1; got != want {
			t.Fatalf("kept = %d, want %d", got, want)
		}
		var status, lastErr string
		if err := peek(t, d).QueryRow(`SELECT status, last_error FROM outbox WHERE message_id = ?`, ackID).Scan(&status, &lastErr); err != nil {
			t.Fatal(err)
		}
		if status != "failed" || !strings.HasPrefix(lastErr, "bounced") {
			t.Errorf("outbox status = %q (%q), want failed (bounced...)", status, lastErr)
		}
		if got, want := reportCount(t, d), int64(1); got != want {
			t.Errorf("reports = %d, want %d", got, want)
		}
	})

	t.Run("UIDValidityChange", func(t *testing.T) {
		srv, d := startMemIMAP(t, nil), mustOpenDB(t)
		in := newTestIntake(t, srv.addr, d)
		a := mailText("ann@researcher.test", "one", "<u1@researcher.test>", "", "first\n")
		b := mailText("bob@researcher.test", "two", "<u2@researcher.test>", "", "second\n")
		srv.deliver(t, "INBOX", a)
		srv.deliver(t, "INBOX", b)
		pollOnce(t, in)
		// The server rebuilds the mailbox: new UIDVALIDITY, the same mail back
		// (as after a restore), plus one new message.
		if err := srv.user.Delete("INBOX"); err != nil {
			t.Fatal(err)
		}
		if err := srv.user.Create("INBOX", nil); err != nil {
			t.Fatal(err)
		}
		srv.deliver(t, "INBOX", a)
		srv.deliver(t, "INBOX", b)
		srv.deliver(t, "INBOX", mailText("cy@researcher.test", "three", "<u3@researcher.test>", "", "third\n"))
		stats := pollOnce(t, in)
		if stats.Again != 2 || stats.Reports != 1 {
			t.Fatalf("stats = %+v, want 2 again and 1 new report", stats)
		}
		if got, want := reportCount(t, d), int64(3); got != want {
			t.Errorf("reports = %d, want %d", got, want)
		}
		if got := srv.count(t, "INBOX"); got != 0 {
			t.Errorf("INBOX has %d, want 0", got)
		}
	})

	t.Run("CrashBetweenCommitAndMove", func(t *testing.T) {
		srv, d := startMemIMAP(t, nil), mustOpenDB(t)
		in := newTestIntake(t, srv.addr, d)
		srv.deliver(t, "INBOX", mailText("ann@researcher.test", "one", "<c1@researcher.test>", "", "first\n"))
		crash := errors.New("crash")
		in.beforeFinish = func() error { return crash }
		if _, err := in.PollOnce(ctx); !errors.Is(err, crash) {
			t.Fatalf("poll err = %v, want the crash", err)
		}
		if got, want := reportCount(t, d), int64(1); got != want {
			t.Fatalf("reports after crash = %d, want %d", got, want)
		}
		if got, want := srv.unseen(t, "INBOX"), uint32(1); got != want {
			t.Fatalf("INBOX unseen after crash = %d, want %d", got, want)
		}
		in.beforeFinish = nil
		stats := pollOnce(t, in)
		if got, want := stats.Moved, 1; got != want {
			t.Errorf("moved = %d, want %d", got, want)
		}
		if got, want := reportCount(t, d), int64(1); got != want {
			t.Errorf("reports = %d, want %d", got, want)
		}
		if got := srv.count(t, "INBOX"); got != 0 {
			t.Errorf("INBOX has %d, want 0", got)
		}
		// Even if the server hands the same message again (a lost MOVE), it
		// adds nothing.
		srv.deliver(t, "INBOX", mailText("ann@researcher.test", "one", "<c1@researcher.test>", "", "first\n"))
		if got, want := pollOnce(t, in).Again, 1; got != want {
			t.Errorf("again = %d, want %d", got, want)
		}
		if got, want := reportCount(t, d), int64(1); got != want {
			t.Errorf("reports = %d, want %d", got, want)
		}
	})

	t.Run("DuplicateMessageID", func(t *testing.T) {
		srv, d := startMemIMAP(t, nil), mustOpenDB(t)
		in := newTestIntake(t, srv.addr, d)
		srv.deliver(t, "INBOX", mailText("ann@researcher.test", "one", "<d1@researcher.test>", "Delivered-To: security@example.org", "first\n"))
		srv.deliver(t, "INBOX", mailText("ann@researcher.test", "one", "<d1@researcher.test>", "Delivered-To: acme@example.org", "first\n"))
		stats := pollOnce(t, in)
		if stats.Reports != 1 || stats.Kept != 1 {
			t.Fatalf("stats = %+v, want one report and one kept duplicate", stats)
		}
		kept, err := d.KeptMail(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(kept) != 1 || kept[0].Kind != db.MailDuplicate {
			t.Errorf("kept = %+v, want one duplicate", kept)
		}
	})

	t.Run("SetAsideAfterAttempts", func(t *testing.T) {
		srv, d := startMemIMAP(t, nil), mustOpenDB(t)
		in := newTestIntake(t, srv.addr, d)
		in.storeBatch = failOn("<bad@researcher.test>")
		srv.deliver(t, "INBOX", mailText("ann@researcher.test", "bad", "<bad@researcher.test>", "", "x\n"))
		srv.deliver(t, "INBOX", mailText("ann@researcher.test", "good", "<good@researcher.test>", "", "y\n"))
		for i := 1; i <= 2; i++ {
			stats, err := in.PollOnce(ctx)
			if !errors.Is(err, ErrMessagesFailed) {
				t.Fatalf("poll %d err = %v, want ErrMessagesFailed", i, err)
			}
			if stats.Failed != 1 {
				t.Fatalf("poll %d stats = %+v", i, stats)
			}
		}
		stats := pollOnce(t, in)
		if got, want := stats.SetAside, 1; got != want {
			t.Fatalf("set aside = %d, want %d", got, want)
		}
		if got, want := reportCount(t, d), int64(1); got != want {
			t.Errorf("reports = %d, want %d", got, want)
		}
		st, err := d.IntakeStatus(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.SetAside != 1 || st.Reports != 1 || st.Failing != 0 || st.LastPollAt.IsZero() {
			t.Errorf("status = %+v", st)
		}
		kept, _ := d.KeptMail(ctx, 10)
		if len(kept) != 1 || kept[0].Attempts != 3 || !strings.Contains(kept[0].Note, "disk on fire") {
			t.Errorf("kept = %+v", kept[0])
		}
		if got := srv.count(t, "INBOX"); got != 0 {
			t.Errorf("INBOX has %d, want 0", got)
		}
	})

	t.Run("ProgramByAddress", func(t *testing.T) {
		srv, d := startMemIMAP(t, nil), mustOpenDB(t)
		if _, err := d.SaveProgram(ctx, &db.Program{Slug: "acme", Name: "ACME", Prefix: "ACME", Email: "acme-security@example.org",
			FirstResponseDays: 3, TriageDays: 10, ResolveCriticalDays: 7, ResolveHighDays: 30, ResolveMediumDays: 90, ResolveLowDays: 180, DisclosureDays: 90},
			nil, db.ActorSystem); err != nil {
			t.Fatal(err)
		}
		in := newTestIntake(t, srv.addr, d)
		srv.deliver(t, "INBOX", "From: gina@researcher.test\nTo: someone@else.test\nCc: ACME-Security@example.org\nSubject: For ACME\nMessage-ID: <p1@researcher.test>\n\nReport for ACME.\n")
		srv.deliver(t, "INBOX", mailText("hal@researcher.test", "For whoever", "<p2@researcher.test>", "", "Default program.\n"))
		pollOnce(t, in)
		if _, err := d.ReportByRef(ctx, "ACME-1"); err != nil {
			t.Errorf("ACME-1: %v", err)
		}
		if _, err := d.ReportByRef(ctx, "SEC-1"); err != nil {
			t.Errorf("SEC-1: %v", err)
		}
	})

	t.Run("ErrAttachmentOverLimit", func(t *testing.T) {
		srv, d := startMemIMAP(t, nil), mustOpenDB(t)
		in := newTestIntake(t, srv.addr, d)
		in.cfg.Limits.MaxAttachmentBytes = 1024
		big := strings.Repeat("QUJD", 1000) // 3000 bytes decoded
		srv.deliver(t, "INBOX", "From: ann@researcher.test\nSubject: files\nMessage-ID: <big1@researcher.test>\nContent-Type: multipart/mixed; boundary=X\n\n--X\nContent-Type: text/plain\n\nTwo files.\n"+
			"--X\nContent-Type: application/octet-stream; name=dump.bin\nContent-Transfer-Encoding: base64\n\n"+big+"\n"+
			"--X\nContent-Type: text/plain; name=notes.txt\nContent-Disposition: attachment; filename=notes.txt\n\nsmall\n--X--\n")
		if got, want := pollOnce(t, in).Reports, 1; got != want {
			t.Fatalf("reports = %d, want %d", got, want)
		}
		_, msgs := timeline(t, d, "SEC-1")
		if len(msgs) != 2 || len(msgs[0].Attachments) != 1 || msgs[0].Attachments[0].Filename != "notes.txt" {
			t.Fatalf("timeline = %+v", msgs)
		}
		if got := msgs[1]; got.Event != "mail.omitted" || !strings.Contains(got.Body, `"dump.bin" (3 KB) was not stored`) || !got.Public {
			t.Errorf("note = %+v", got)
		}
	})

	t.Run("ErrWrongPassword", func(t *testing.T) {
		srv, d := startMemIMAP(t, nil), mustOpenDB(t)
		in := newTestIntake(t, srv.addr, d)
		in.cfg.Password = "wrong"
		if _, err := in.PollOnce(ctx); err == nil {
			t.Fatal("poll with a wrong password succeeded")
		}
		st, err := d.IntakeStatus(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.LastError == "" || strings.Contains(st.LastError, "wrong") {
			t.Errorf("last error = %q, want an error without the password", st.LastError)
		}
	})
}

// failOn makes storing the message with Message-ID id fail, as a full disk
// would.
func failOn(id string) func(ctx context.Context, u Updater, ins []*db.InboundMail, opts IngestOptions) ([]*db.IngestResult, error) {
	return func(ctx context.Context, u Updater, ins []*db.InboundMail, opts IngestOptions) ([]*db.IngestResult, error) {
		for i, in := range ins {
			if in.MessageID == id {
				res, err := IngestMailBatch(ctx, u, ins[:i], opts)
				if err != nil {
					return res, err
				}
				return res, errors.New("disk on fire")
			}
		}
		return IngestMailBatch(ctx, u, ins, opts)
	}
}

func setState(t *testing.T, d *db.DB, reportID int64, state, prev string) {
	t.Helper()
	if err := d.Update(context.Background(), func(ctx context.Context, tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE reports SET state = ?, prev_state = ?, paused_at = created_at WHERE id = ?`, state, prev, reportID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

// dsn is a delivery status notification (RFC 3464) about the mail origID.
func dsn(origID string) string {
	return `From: Mail Delivery System <MAILER-DAEMON@mx.researcher.test>
To: security@example.org
Subject: Undelivered Mail Returned to Sender
Message-ID: <dsn1@mx.researcher.test>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

The mail could not be delivered: mailbox full.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.researcher.test
Final-Recipient: rfc822; ann@researcher.test
Action: failed
Status: 5.2.2

--B
Content-Type: message/rfc822

From: security@example.org
To: ann@researcher.test
Subject: [SEC-1] Re: SQLi
Message-ID: ` + origID + `

Thank you for your report.
--B--
`
}

// TestRun shows the long-running loop: IDLE wakes it for new mail (the poll
// interval is an hour, so nothing else could), and cancelling stops it.
func TestRun(t *testing.T) {
	srv, d := startMemIMAP(t, nil), mustOpenDB(t)
	in := newTestIntake(t, srv.addr, d)
	polls := make(chan *PollStats, 10)
	in.afterPoll = func(s *PollStats, err error) {
		if err != nil {
			t.Errorf("poll: %v", err)
		}
		polls <- s
	}
	idling := make(chan struct{}, 10)
	in.idling = func() { idling <- struct{}{} }
	// go-imap's memory server drops an EXISTS that races the start of IDLE;
	// should that happen, the interval still polls.
	in.cfg.Interval = 3 * time.Second
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- in.Run(ctx) }()
	<-polls // the first poll found an empty mailbox
	<-idling
	srv.deliver(t, "INBOX", mailText("ann@researcher.test", "idle", "<i1@researcher.test>", "", "woken by IDLE\n"))
	for i := 0; i < 5; i++ {
		if s := <-polls; s.Reports == 1 {
			break
		}
	}
	if got, want := reportCount(t, d), int64(1); got != want {
		t.Fatalf("reports = %d, want %d", got, want)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
}
