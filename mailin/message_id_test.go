package mailin

import (
	"testing"
	"time"

	"github.com/disclose/disclose/db"
)

// TestMessageIDsInCreationOrder: the Message-IDs of the mail the portal
// queues sort in the order they were made, so that the outbox's unique
// index takes each at its end rather than on a random page (at a million
// reports, four random pages per submission). Each ID is made in a later
// millisecond than the one before.
func TestMessageIDsInCreationOrder(t *testing.T) {
	n := testNotifier()
	ev := &db.Event{Kind: db.EventReportCreated, Report: testReport()}
	var prev string
	for i := range 24 {
		var id string
		if i%2 == 0 {
			mails := notify(t, n, ev)
			if len(mails) == 0 {
				t.Fatal("no acknowledgement composed")
			}
			id = mails[0].MessageID
		} else {
			id = NewMessageID("portal.example.org")
		}
		if prev != "" && id <= prev {
			t.Fatalf("Message-ID %q was made after %q but sorts before it", id, prev)
		}
		prev = id
		// The next one in a later millisecond (bounded: the clock moves).
		for t0 := time.Now().UnixMilli(); time.Now().UnixMilli() == t0; {
		}
	}
}
