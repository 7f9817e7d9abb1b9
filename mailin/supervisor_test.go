package mailin

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
)

// pollSignal is the database as the supervisor's store, telling the test
// each time a mailbox records a poll.
type pollSignal struct {
	*db.DB
	polls chan int64
}

func (p *pollSignal) RecordMailboxPoll(ctx context.Context, id int64, pollErr string, backlog int) error {
	err := p.DB.RecordMailboxPoll(ctx, id, pollErr, backlog)
	select {
	case p.polls <- id:
	default:
	}
	return err
}

// TestSupervisorFollowsMailboxes: a mailbox added while the portal runs is
// read at the supervisor's next look, without a restart; a changed filter
// applies from then on (the mail it leaves out stays unread in place); a
// removed mailbox's worker has stopped when Reload returns.
func TestSupervisorFollowsMailboxes(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d := mustOpenDB(t)
	srv := startMemIMAP(t, nil)
	def, err := d.DefaultProgram(ctx)
	if err != nil {
		t.Fatal(err)
	}
	store := &pollSignal{DB: d, polls: make(chan int64, 64)}
	sup := NewSupervisor(ctx, store, Config{Interval: 50 * time.Millisecond, MessageIDDomain: "portal.test", SpoolDir: t.TempDir()},
		slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	defer sup.Stop()
	reports := func() int {
		var n int
		if err := peek(t, d).QueryRow(`SELECT COUNT(*) FROM reports`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// waitReports waits, poll by poll, until there are n reports.
	waitReports := func(n int) {
		t.Helper()
		deadline := time.After(30 * time.Second)
		for reports() < n {
			select {
			case <-store.polls:
			case <-deadline:
				t.Fatalf("%d reports, want %d", reports(), n)
			}
		}
	}
	if err := sup.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if got := sup.Running(); len(got) != 0 {
		t.Fatalf("running %v with no mailbox configured", got)
	}

	srv.deliver(t, "INBOX", mailText("a@reporter.example", "XSS in search", "<m1@reporter.example>", "", "first"))
	m, err := d.CreateMailbox(ctx, &db.NewMailbox{Mailbox: db.Mailbox{OrgID: db.DefaultOrgID, ProgramID: def.ID, Addr: srv.addr,
		TLS: TLSNone, User: "security"}, Password: "secret"}, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	if err := sup.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if got := sup.Running(); len(got) != 1 || got[0] != m.ID {
		t.Fatalf("running %v after adding mailbox %d", got, m.ID)
	}
	waitReports(1)

	m.SubjectContains = "Security Concern"
	if _, err := d.UpdateMailbox(ctx, &db.NewMailbox{Mailbox: *m}, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	if err := sup.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	srv.deliver(t, "INBOX", mailText("b@example.org", "Lunch on Friday", "<m2@example.org>", "", "not security"))
	srv.deliver(t, "INBOX", mailText("c@reporter.example", "Security Concern: SQL injection", "<m3@reporter.example>", "", "second"))
	waitReports(2)
	if n := srv.unseen(t, "INBOX"); n != 1 {
		t.Errorf("%d unseen messages left in INBOX, want the one the new filter leaves out", n)
	}

	sup.mu.Lock()
	worker := sup.running[m.ID]
	sup.mu.Unlock()
	if err := d.DeleteMailbox(ctx, db.DefaultOrgID, m.ID, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	if err := sup.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if got := sup.Running(); len(got) != 0 {
		t.Fatalf("running %v after removing the mailbox", got)
	}
	select {
	case <-worker.done: // its Run returned before Reload did
	default:
		t.Fatal("the removed mailbox's worker still runs after Reload returned")
	}
}
