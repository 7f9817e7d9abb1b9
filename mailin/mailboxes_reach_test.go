package mailin

import (
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
)

// TestOrgMailboxReach: a mailbox of an organisation (whose admin may set it
// up) connects only where webhooks may: a server on the portal's own host
// is refused before any packet leaves, and the refusal is recorded as the
// mailbox's error; with the operator's "loopback" setting it connects. The
// default organisation's mailboxes are the operator's and may name any
// server.
func TestOrgMailboxReach(t *testing.T) {
	ctx := context.Background()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var accepted atomic.Int64
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			c.Close() // no greeting: the poll fails at once
		}
	}()
	d := mustOpenDB(t)
	client, err := d.CreateOrg(ctx, &db.NewOrg{Slug: "client", Name: "Client"}, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	cp := db.NewProgramDefaults()
	cp.Name, cp.Slug, cp.Prefix, cp.OrgID = "Client app", "client-app", "CLI", client.ID
	if cp, err = d.SaveProgram(ctx, cp, nil, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	def, err := d.DefaultProgram(ctx)
	if err != nil {
		t.Fatal(err)
	}
	add := func(org, program int64, name string) {
		t.Helper()
		if _, err := d.CreateMailbox(ctx, &db.NewMailbox{Mailbox: db.Mailbox{OrgID: org, ProgramID: program, Addr: ln.Addr().String(),
			TLS: TLSNone, User: "security", Name: name, Processed: name + "Done"}, Password: "pw"}, db.ActorSystem); err != nil {
			t.Fatal(err)
		}
	}
	add(client.ID, cp.ID, "Client")
	poll := func(reach db.WebhookReach) []error {
		t.Helper()
		intakes, err := Configured(ctx, d, Config{Interval: time.Hour, MessageIDDomain: "portal.test", SpoolDir: t.TempDir(), Reach: reach},
			slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
		if err != nil {
			t.Fatal(err)
		}
		var errs []error
		for _, in := range intakes {
			_, err := in.PollOnce(ctx)
			errs = append(errs, err)
		}
		return errs
	}

	errs := poll(db.WebhookReachPublic)
	if len(errs) != 1 || errs[0] == nil || !strings.Contains(errs[0].Error(), "loopback") {
		t.Fatalf("client's mailbox on this host, public reach: %v, want a refusal naming loopback", errs)
	}
	if n := accepted.Load(); n != 0 {
		t.Fatalf("the refused mailbox reached the listener %d times", n)
	}
	boxes, err := d.Mailboxes(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(boxes) != 1 || !strings.Contains(boxes[0].LastError, "loopback") {
		t.Errorf("recorded error: %+v, want the refusal", boxes)
	}

	if errs := poll(db.WebhookReachLoopback); len(errs) != 1 || errs[0] == nil || strings.Contains(errs[0].Error(), "loopback address") {
		t.Fatalf("loopback reach: %v, want a connection (that then fails for want of a greeting)", errs)
	}
	if accepted.Load() == 0 {
		t.Fatal("loopback reach: no connection reached the listener")
	}

	// The operator's own (default organisation's) mailbox is not checked.
	before := accepted.Load()
	add(db.DefaultOrgID, def.ID, "INBOX")
	errs = poll(db.WebhookReachPublic)
	if len(errs) != 2 || errs[1] == nil || strings.Contains(errs[1].Error(), "loopback address") || accepted.Load() == before {
		t.Fatalf("default organisation's mailbox: %v (accepted %d → %d), want it to connect", errs, before, accepted.Load())
	}
}
