package db_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin"
)

// From is forged at will: a flood of mail "from" one address opens reports,
// but the portal acknowledges only the first few, so it cannot be used to
// mail a victim (or to loop with a careless auto-responder).
func TestIngestAckCap(t *testing.T) {
	ctx := context.Background()
	d, now := mustOpenMailDB(t)
	if _, err := d.SyncMailbox(ctx, "INBOX", 7); err != nil {
		t.Fatal(err)
	}
	send := func(uid uint32, from string) {
		t.Helper()
		in := inboundMail(uid, fmt.Sprintf("<m.%d@example.net>", uid), from, fmt.Sprintf("report %d", uid), "text")
		if res, err := mailin.IngestMail(ctx, d, in, mailin.IngestOptions{MessageIDDomain: "portal.example.org"}); err != nil || res.Kind != db.MailReport {
			t.Fatalf("res %+v, %v", res, err)
		}
	}
	acksTo := func(addr string) int {
		t.Helper()
		mails, err := d.Mails(ctx, "", 100)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, m := range mails {
			if m.Kind == "ack" && m.To == addr {
				n++
			}
		}
		return n
	}
	for i := uint32(1); i <= 20; i++ {
		from := "victim@example.net"
		if i%2 == 0 {
			from = "Victim@Example.NET"
		}
		send(i, from)
	}
	if n, _ := d.CountReports(ctx); n != 20 {
		t.Fatalf("reports = %d, want 20: every mail still opens a report", n)
	}
	if got := acksTo("victim@example.net") + acksTo("Victim@Example.NET"); got != 5 {
		t.Errorf("acknowledgements = %d, want 5", got)
	}
	t.Run("OK", func(t *testing.T) {
		send(21, "other@example.net")
		if got := acksTo("other@example.net"); got != 1 {
			t.Errorf("acknowledgements to another address = %d, want 1", got)
		}
		*now = now.Add(61 * time.Minute)
		send(22, "victim@example.net")
		if got := acksTo("victim@example.net") + acksTo("Victim@Example.NET"); got != 6 {
			t.Errorf("acknowledgements an hour later = %d, want 6", got)
		}
	})
	t.Run("ErrDayCap", func(t *testing.T) {
		victim := func() int { return acksTo("victim@example.net") + acksTo("Victim@Example.NET") }
		for i := uint32(30); i < 36; i++ {
			send(i, "victim@example.net") // 5 in this hour: 10 today
		}
		if got := victim(); got != 10 {
			t.Fatalf("acknowledgements = %d, want 10", got)
		}
		*now = now.Add(61 * time.Minute)
		send(40, "victim@example.net")
		if got := victim(); got != 10 {
			t.Errorf("acknowledgements past the day's cap = %d, want 10", got)
		}
		*now = now.Add(24 * time.Hour)
		send(41, "victim@example.net")
		if got := victim(); got != 11 {
			t.Errorf("acknowledgements the next day = %d, want 11", got)
		}
	})
}
