package mailin

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin/pgp"
)

// countMail counts the outbox rows of kind about report reportID.
func countMail(t *testing.T, d *db.DB, reportID int64, kind string) int {
	t.Helper()
	mails, err := d.ReportMails(context.Background(), reportID)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range mails {
		if m.Kind == kind {
			n++
		}
	}
	return n
}

// TestEventSurvivesCrash: the process dies after an action committed and
// before its mail was composed. The event is still there when the portal
// starts again, and it is composed once, however many workers look.
func TestEventSurvivesCrash(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "disclose.db")
	d, err := db.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := d.DefaultProgram(ctx)
	rc, err := d.CreateReport(ctx, &db.NewReport{ProgramID: p.ID, Source: db.SourceWeb, Title: "XSS", Description: "x",
		Reporter: db.Reporter{Email: "alice@example.net"}})
	if err != nil {
		t.Fatal(err)
	}
	// The commit woke the worker; the process dies before it runs.
	select {
	case <-d.EventsRecorded():
	default:
		t.Fatal("the commit that recorded an event did not wake the worker")
	}
	d.Close()

	d, err = db.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if n := countMail(t, d, rc.ReportID, MailAck); n != 0 {
		t.Fatalf("%d acknowledgements before the worker ran", n)
	}
	var wg sync.WaitGroup
	composed := make([]int, 3)
	for i := range composed {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ev := &Events{Store: d, Notifier: testNotifier(), Log: discardLog()}
			n, err := ev.Drain(ctx)
			if err != nil {
				t.Error(err)
			}
			composed[i] = n
		}()
	}
	wg.Wait()
	if got := composed[0] + composed[1] + composed[2]; got != 1 {
		t.Errorf("the event was composed %d times by three workers, want once", got)
	}
	if n := countMail(t, d, rc.ReportID, MailAck); n != 1 {
		t.Fatalf("%d acknowledgements after the restart, want 1", n)
	}
	if n, err := (&Events{Store: d, Notifier: testNotifier()}).Drain(ctx); err != nil || n != 0 {
		t.Fatalf("a later round composed %d (%v), want nothing", n, err)
	}
}

// TestEventWaitsForKey: in a sealed portal whose key is locked, a reply's
// mail carries sealed text the worker cannot read: the event waits, with
// no mail and no plaintext written, and is composed once the key is
// unlocked, with the reply as the triager wrote it.
func TestEventWaitsForKey(t *testing.T) {
	ctx := context.Background()
	d, _ := mustOpenMailDB(t)
	team, err := pgp.Generate(pgp.GenerateOptions{Email: "security@example.org"}, []byte(teamPass), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	d.SetSealer(team, true)
	rc := webReport(t, d, "XSS", "alice@example.net")
	r, err := d.ReportByID(ctx, rc.ReportID)
	if err != nil {
		t.Fatal(err)
	}
	team.Lock()
	const reply = "Fixed in 2.4.1, qzreplymarker."
	if err := d.Reply(ctx, r.ID, r.Version, db.Actor{UserID: 0, Name: "tri@example.org"}, reply, nil, db.DefaultLimits); err != nil {
		t.Fatal(err)
	}
	ev := &Events{Store: d, Notifier: testNotifier(), Log: discardLog()}
	if n, err := ev.Drain(ctx); err != nil || n != 0 {
		t.Fatalf("composed %d (%v) while the key is locked, want the reply to wait", n, err)
	}
	if n := countMail(t, d, r.ID, MailReply); n != 0 {
		t.Fatalf("%d reply mails while the key is locked", n)
	}
	if strings.Contains(string(readDB(t, d)), "qzreplymarker") {
		t.Fatal("the reply's text is on disk in clear")
	}
	if err := team.Unlock([]byte(teamPass)); err != nil {
		t.Fatal(err)
	}
	if n, err := ev.Drain(ctx); err != nil || n != 1 {
		t.Fatalf("composed %d (%v) once unlocked, want the reply", n, err)
	}
	mails, err := d.ReportMails(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got *db.Mail
	for _, m := range mails {
		if m.Kind == MailReply {
			got = m
		}
	}
	if got == nil || !strings.Contains(got.Body, reply) || !got.Sealed || got.To != "alice@example.net" {
		t.Fatalf("reply mail %+v, want the reply to alice, stored sealed", got)
	}
	if n, err := ev.Drain(ctx); err != nil || n != 0 {
		t.Fatalf("a later round composed %d (%v), want nothing", n, err)
	}
}
