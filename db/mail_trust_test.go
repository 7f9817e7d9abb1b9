package db_test

import (
	"context"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin"
)

// tagMail is a mail that names a report by its subject tag alone.
func tagMail(uid uint32, msgID, from, ref string) *db.InboundMail {
	return inboundMail(uid, msgID, from, "["+ref+"] an update", "Please close this report.")
}

// TestUnverifiedMailEffects: a mail found by its tag alone tells staff that
// a mail waits for them, and nothing else: no webhook, no state, no clock,
// and our later mail to the reporter does not quote its Message-ID. Once a
// triager accepts it, it is the reporter's reply in every way.
func TestUnverifiedMailEffects(t *testing.T) {
	ctx := context.Background()
	d, now := mustOpenMailDB(t)
	p, _ := d.DefaultProgram(ctx)
	if _, err := d.CreateUser(ctx, &db.NewUser{Email: "tri@example.org", Role: db.RoleTriager, ProgramIDs: []int64{p.ID}}, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	if _, err := d.CreateWebhook(ctx, &db.NewWebhook{ProgramID: p.ID, URL: "https://hooks.example.org/x", Format: db.WebhookGeneric, Enabled: true}, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	rc, err := d.CreateReport(ctx, validReport(p.ID))
	if err != nil {
		t.Fatal(err)
	}
	r, _ := d.ReportByID(ctx, rc.ReportID)
	staff := db.Actor{Name: "lead@example.org"}
	if err := d.ChangeState(ctx, r.ID, r.Version, staff, db.StateChange{To: db.StateNeedsInfo, Reason: "Which version?"}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.SyncMailbox(ctx, "INBOX", 7); err != nil {
		t.Fatal(err)
	}
	count := func(q string, args ...any) int {
		t.Helper()
		var n int
		if err := d.QueryRowForTest(ctx, q, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	hooks := func() int {
		// Any delivery but the report's creation and its state changes.
		return count(`SELECT COUNT(*) FROM webhook_deliveries WHERE report_id = ? AND event NOT IN ('report.created', 'state')`, r.ID)
	}
	notices := func(subject string) int {
		mails, err := d.ReportMails(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, m := range mails {
			if m.UserID != 0 && m.Subject == subject {
				n++
			}
		}
		return n
	}
	*now = now.Add(2 * time.Hour)
	res, err := mailin.IngestMail(ctx, d, tagMail(1, "<forged@evil.example>", "Alice@Example.org", rc.Ref), mailin.IngestOptions{})
	if err != nil || res.ReportID != r.ID || !res.Unverified {
		t.Fatalf("res %+v, %v; want an unverified reply on %s", res, err, rc.Ref)
	}
	r, _ = d.ReportByID(ctx, r.ID)
	if r.State != db.StateNeedsInfo || hooks() != 0 || notices("["+rc.Ref+"] Mail to check") != 1 || notices("["+rc.Ref+"] Reporter replied") != 0 {
		t.Fatalf("state %q, webhooks %d, notices %d/%d; want needs_info, none, one 'mail to check'", r.State, hooks(),
			notices("["+rc.Ref+"] Mail to check"), notices("["+rc.Ref+"] Reporter replied"))
	}
	paused := count(`SELECT COUNT(*) FROM reports WHERE id = ? AND paused_at IS NOT NULL`, r.ID)
	if paused != 1 {
		t.Error("the clocks resumed on an unverified mail")
	}
	// Our next mail to the reporter threads on her conversation, not on it.
	if err := d.Reply(ctx, r.ID, r.Version, staff, "Still waiting for the version.", nil, db.DefaultLimits); err != nil {
		t.Fatal(err)
	}
	if n := count(`SELECT COUNT(*) FROM outbox WHERE report_id = ? AND (in_reply_to LIKE '%forged%' OR refs LIKE '%forged%')`, r.ID); n != 0 {
		t.Error("our reply names the unverified mail")
	}

	tl, _ := d.Timeline(ctx, r.ID, false)
	var entry *db.Message
	for _, e := range tl {
		if e.Unverified {
			entry = e
		}
	}
	if entry == nil {
		t.Fatal("no unverified entry")
	}
	t.Run("ErrOtherReport", func(t *testing.T) {
		other, err := d.CreateReport(ctx, validReport(p.ID))
		if err != nil {
			t.Fatal(err)
		}
		if err := d.AcceptMail(ctx, other.ReportID, entry.ID, staff); db.ErrorCode(err) != db.ENOTFOUND {
			t.Errorf("accepting another report's entry: %v, want not found", err)
		}
	})
	t.Run("OK", func(t *testing.T) {
		if err := d.AcceptMail(ctx, r.ID, entry.ID, staff); err != nil {
			t.Fatal(err)
		}
		r, _ = d.ReportByID(ctx, r.ID)
		if r.State != db.StateNew || hooks() != 1 || notices("["+rc.Ref+"] Reporter replied") != 1 {
			t.Errorf("after accepting: state %q, webhooks %d; want new (as before needs_info) and one reporter.message", r.State, hooks())
		}
		if n := count(`SELECT COUNT(*) FROM audit WHERE action = 'report.mail_accept' AND actor = 'lead@example.org'`); n != 1 {
			t.Errorf("%d audit rows for the acceptance, want 1", n)
		}
		pub, _ := d.Timeline(ctx, r.ID, true)
		on := false
		for _, e := range pub {
			on = on || e.ID == entry.ID
		}
		if !on {
			t.Error("the accepted mail is not on the reporter's timeline")
		}
		if err := d.AcceptMail(ctx, r.ID, entry.ID, staff); db.ErrorCode(err) != db.ENOTFOUND {
			t.Errorf("accepting twice: %v, want not found", err)
		}
	})
}

// TestSealedTagThreading: with the reporter's address sealed and the key
// locked, the tag is compared by the address's keyed hash. A row sealed
// before the hash existed is not threaded by tag while locked (a new
// report opens, as before), and is once the unlocked key has hashed it.
func TestSealedTagThreading(t *testing.T) {
	ctx := context.Background()
	d, _ := mustOpenMailDB(t)
	key := newTeamKey(t)
	d.SetSealer(key, true)
	p, _ := d.DefaultProgram(ctx)
	a, err := d.CreateReport(ctx, validReport(p.ID))
	if err != nil {
		t.Fatal(err)
	}
	b, err := d.CreateReport(ctx, validReport(p.ID))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.SyncMailbox(ctx, "INBOX", 7); err != nil {
		t.Fatal(err)
	}
	// b is as a sealed database from before migration 0015 holds it.
	if err := d.ExecForTest(ctx, `UPDATE reporters SET email_hash = NULL WHERE id = (SELECT reporter_id FROM reports WHERE id = ?)`, b.ReportID); err != nil {
		t.Fatal(err)
	}
	key.Lock()
	res, err := mailin.IngestMail(ctx, d, tagMail(1, "<t1@example.org>", "alice@example.org", a.Ref), mailin.IngestOptions{})
	if err != nil || res.ReportID != a.ReportID || !res.Unverified {
		t.Errorf("locked, hashed: %+v, %v; want an unverified reply on %s", res, err, a.Ref)
	}
	res, err = mailin.IngestMail(ctx, d, tagMail(2, "<t2@example.org>", "alice@example.org", b.Ref), mailin.IngestOptions{})
	if err != nil || res.Kind != db.MailReport {
		t.Errorf("locked, not hashed: %+v, %v; want a new report", res, err)
	}
	if err := key.Unlock([]byte(sealPassphrase)); err != nil {
		t.Fatal(err)
	}
	if n, err := d.HashAddresses(ctx); err != nil || n != 1 {
		t.Errorf("hashed %d (%v), want b's reporter", n, err)
	}
	key.Lock()
	res, err = mailin.IngestMail(ctx, d, tagMail(3, "<t3@example.org>", "alice@example.org", b.Ref), mailin.IngestOptions{})
	if err != nil || res.ReportID != b.ReportID || !res.Unverified {
		t.Errorf("locked, hashed at unlock: %+v, %v; want an unverified reply on %s", res, err, b.Ref)
	}
}
