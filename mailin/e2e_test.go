package mailin

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestDovecot runs intake against a real Dovecot: mail delivered into the
// maildir becomes reports and replies and ends up in the processed folder.
func TestDovecot(t *testing.T) {
	dc := startDovecot(t)
	d := mustOpenDB(t)
	in := newTestIntake(t, dc.addr, d)
	in.cfg.Interval = 30 * time.Second

	dc.deliver(t, mailText("Ann <ann@researcher.test>", "RCE in uploader", "<e2e-1@researcher.test>", "", "Upload a .phtml file.\n"))
	dc.deliver(t, mailText("bob@researcher.test", "Out of office", "<e2e-2@researcher.test>", "Auto-Submitted: auto-replied", "Away.\n"))
	stats := pollOnce(t, in)
	if stats.Reports != 1 || stats.Kept != 1 || stats.Moved != 2 {
		t.Fatalf("first poll = %+v, want 1 report, 1 kept, 2 moved", stats)
	}
	r, _ := timeline(t, d, "SEC-1")
	ackID, _, _ := ackOf(t, d, r.ID)
	dc.deliver(t, mailText("ann@researcher.test", "Re: [SEC-1] Re: RCE in uploader", "<e2e-3@researcher.test>",
		"In-Reply-To: "+ackID+"\nReferences: <e2e-1@researcher.test> "+ackID, "Here is the file name: shell.phtml\n"))
	dc.deliver(t, mailText("ann@researcher.test", "[SEC-1] one more", "<e2e-4@researcher.test>", "", "And a second PoC.\n"))
	dc.deliver(t, mailText("cy@researcher.test", "Another bug", "<e2e-5@researcher.test>", "", "IDOR.\n"))

	// The long-running loop: IDLE or the interval, whichever comes first.
	polls := make(chan *PollStats, 10)
	in.afterPoll = func(s *PollStats, err error) {
		if err != nil {
			t.Errorf("poll: %v", err)
		}
		polls <- s
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- in.Run(ctx) }()
	s := <-polls
	cancel()
	<-done
	if s.Replies != 2 || s.Reports != 1 {
		t.Fatalf("second poll = %+v, want 2 replies and 1 report", s)
	}
	_, msgs := timeline(t, d, "SEC-1")
	in1 := inbound(msgs)
	if got, want := len(in1), 3; got != want {
		t.Fatalf("SEC-1 inbound entries = %d, want %d", got, want)
	}
	if !strings.Contains(in1[1].Body, "shell.phtml") {
		t.Errorf("reply body = %q", in1[1].Body)
	}
	if got, want := reportCount(t, d), int64(2); got != want {
		t.Errorf("reports = %d, want %d", got, want)
	}
	if got := dc.files(t, ""); got != 0 {
		t.Errorf("INBOX still has %d messages", got)
	}
	if got, want := dc.files(t, "Processed"), 5; got != want {
		t.Errorf("Processed has %d messages, want %d", got, want)
	}
}
