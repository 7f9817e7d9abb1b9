package mailin

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

// TestFinishPerBatch: with several FETCH batches, each committed batch is
// flagged and moved while the next is taken; a crash before a batch's move
// leaves exactly the uncommitted and unmoved messages for the next poll,
// which adds nothing twice.
func TestFinishPerBatch(t *testing.T) {
	srv, d := startMemIMAP(t, nil), mustOpenDB(t)
	in := newTestIntake(t, srv.addr, d)
	in.cfg.BatchSize = 2
	for i := 1; i <= 5; i++ {
		srv.deliver(t, "INBOX", mailText(fmt.Sprintf("r%d@researcher.test", i), fmt.Sprintf("Report %d", i), fmt.Sprintf("<f%d@researcher.test>", i), "", "text\n"))
	}
	crash := errors.New("crash")
	finishes := 0
	in.beforeFinish = func() error {
		if finishes++; finishes == 2 {
			return crash // after the second batch committed, before its move
		}
		return nil
	}
	stats, err := in.PollOnce(context.Background())
	if !errors.Is(err, crash) {
		t.Fatalf("poll err = %v, want the crash", err)
	}
	if got, want := fmt.Sprint(stats.Moved, reportCount(t, d), srv.count(t, "Processed"), srv.count(t, "INBOX")), "2 4 2 3"; got != want {
		t.Fatalf("moved, reports, processed, inbox = %s, want %s", got, want)
	}
	in.beforeFinish = nil
	stats = pollOnce(t, in)
	if got, want := fmt.Sprint(stats.Reports, stats.Moved, reportCount(t, d), srv.count(t, "Processed"), srv.count(t, "INBOX")), "1 3 5 5 0"; got != want {
		t.Fatalf("second poll: reports, moved, total reports, processed, inbox = %s, want %s", got, want)
	}
}
