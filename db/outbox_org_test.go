package db_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"testing"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin"
)

// orgOutboxFixture is the organisations fixture with mail in the outbox:
// acknowledgements of a report in the client and one in the sibling, an
// invitation to the client, and a reset link to a member of the client.
type orgOutboxFixture struct {
	*orgFixture
	md                                  *mailDB
	clientAck, siblingAck, invite, link int64
	clientReport, siblingReport         int64
}

func newOrgOutboxFixture(t *testing.T) *orgOutboxFixture {
	t.Helper()
	ctx := context.Background()
	f := &orgOutboxFixture{orgFixture: newOrgFixture(t)}
	d := f.DB
	f.md = newMailDB(t, d, &mailin.Notifier{BaseURL: &url.URL{Scheme: "https", Host: "portal.example.org"}, Domain: "portal.example.org",
		ReplyAddress: "security@example.org"})
	ack := func(p *db.Program, reporter string, report *int64) int64 {
		t.Helper()
		rc, err := d.CreateReport(ctx, &db.NewReport{ProgramID: p.ID, Source: db.SourceWeb, Title: "t", Description: "d",
			Reporter: db.Reporter{Email: reporter}})
		if err != nil {
			t.Fatal(err)
		}
		*report = rc.ReportID
		return f.mailTo(t, reporter)
	}
	f.clientAck, f.siblingAck = ack(f.PClient, "r1@example.net", &f.clientReport), ack(f.PSibling, "r2@example.net", &f.siblingReport)
	if _, _, err := invite(ctx, d, f.Client.ID, "new@client.example", db.RoleViewer); err != nil {
		t.Fatal(err)
	}
	f.invite = f.mailTo(t, "new@client.example")
	u := f.member(t, "old@client.example", f.Client, db.RoleTriager)
	tok, _ := db.NewResetToken()
	if err := d.MailResetLink(ctx, u.ID, true, db.ResetLink{Token: tok, Mail: linkMail(tok)}, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	f.link = f.mailTo(t, "old@client.example")
	return f
}

// mailTo is the id of the newest mail to addr.
func (f *orgOutboxFixture) mailTo(t *testing.T, addr string) int64 {
	t.Helper()
	mails, err := f.md.Mails(context.Background(), "", 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mails {
		if m.To == addr {
			return m.ID
		}
	}
	t.Fatalf("no mail to %s", addr)
	return 0
}

func orgMailIDs(t *testing.T, d *db.DB, org int64, status string) map[int64]bool {
	t.Helper()
	mails, err := d.OrgMails(context.Background(), org, status, 100)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int64]bool{}
	for _, m := range mails {
		out[m.ID] = true
	}
	return out
}

// TestOrgOutbox: each mail is filed under the organisation it is about
// (and its parent): an organisation's admins read their reports' mail and
// their own invitations, never another organisation's nor a person's
// account links (TestOrgOutboxAccountMailIsThePersons); a
// failed mail of theirs they send again (audited under the organisation).
func TestOrgOutbox(t *testing.T) {
	f := newOrgOutboxFixture(t)
	d, ctx := f.DB, context.Background()
	want := map[*db.Organisation][]int64{f.Client: {f.clientAck, f.invite}, f.Sibling: {f.siblingAck},
		f.Agency: {f.clientAck, f.invite, f.siblingAck}}
	for o, ids := range want {
		got := orgMailIDs(t, d, o.ID, "")
		if len(got) != len(ids) {
			t.Errorf("%s's outbox has %d mails, want %d", o.Slug, len(got), len(ids))
		}
		for _, id := range ids {
			if !got[id] {
				t.Errorf("%s's outbox lacks mail %d", o.Slug, id)
			}
		}
		counts, err := d.OrgMailCounts(ctx, o.ID)
		if err != nil || counts[db.OutboxPending] != len(ids) {
			t.Errorf("%s's counts %v (%v), want %d pending", o.Slug, counts, err, len(ids))
		}
	}
	if _, err := d.OrgMailByID(ctx, f.Sibling.ID, f.clientAck); db.ErrorCode(err) != db.ENOTFOUND {
		t.Errorf("the sibling reads the client's mail: %v", err)
	}
	if m, err := d.OrgMailByID(ctx, f.Agency.ID, f.invite); err != nil || m.To != "new@client.example" {
		t.Errorf("the parent reads its client's invitation: %v", err)
	}

	// A failed mail: counted as failed, retried only by its organisation.
	if err := d.MailFailed(ctx, f.invite, "550 no such user"); err != nil {
		t.Fatal(err)
	}
	if got := orgMailIDs(t, d, f.Client.ID, db.OutboxFailed); len(got) != 1 || !got[f.invite] {
		t.Errorf("the client's failed mail: %v", got)
	}
	if counts, _ := d.OrgMailCounts(ctx, f.Client.ID); counts[db.OutboxFailed] != 1 || counts[db.OutboxPending] != 1 {
		t.Errorf("the client's counts after a failure: %v", counts)
	}
	if err := d.RetryOrgMail(ctx, f.Sibling.ID, f.invite, db.ActorSystem); db.ErrorCode(err) != db.ENOTFOUND {
		t.Errorf("the sibling retried the client's mail: %v", err)
	}
	if err := d.RetryOrgMail(ctx, f.Client.ID, f.invite, db.Actor{Name: "boss@client.example"}); err != nil {
		t.Fatal(err)
	}
	if m, err := d.OrgMailByID(ctx, f.Client.ID, f.invite); err != nil || m.Status != db.OutboxPending {
		t.Errorf("after the retry: %v", err)
	}
	retried := func(o *db.Organisation) bool {
		page, err := d.ListAudit(ctx, db.AuditFilter{Org: o.ID, Action: "mail.retry", Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		return len(page.Entries) == 1 && page.Entries[0].Actor == "boss@client.example"
	}
	if !retried(f.Client) || !retried(f.Agency) || retried(f.Sibling) {
		t.Errorf("the retry of an invitation is audited under client %v, agency %v, sibling %v (want true, true, false)",
			retried(f.Client), retried(f.Agency), retried(f.Sibling))
	}

}

// queueDigest queues a digest to user naming reports and returns its id.
func queueDigest(t testing.TB, d *db.DB, user *db.User, reports ...int64) int64 {
	t.Helper()
	ctx := context.Background()
	dg := &db.Digest{To: &db.Recipient{UserID: user.ID, Email: user.Email}}
	for _, id := range reports {
		dg.Items = append(dg.Items, &db.DigestItem{ReportID: id})
	}
	var id int64
	err := d.Update(ctx, func(ctx context.Context, tx *db.Tx) error {
		m := &db.OutMail{UserID: user.ID, Kind: "digest", MessageID: fmt.Sprintf("<digest%d@portal.example>", inviteMailN.Add(1)), To: user.Email,
			Subject: "Digest", Body: "digest"}
		if err := tx.QueueDigest(ctx, dg, m); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT id FROM outbox WHERE message_id = ?`, m.MessageID).Scan(&id)
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestOrgOutboxDigests: a digest is filed under the organisations that
// hold every report it names: one naming the client's and the sibling's
// reports is the parent's alone, so neither child reads the other's titles.
func TestOrgOutboxDigests(t *testing.T) {
	f := newOrgOutboxFixture(t)
	d := f.DB
	u := f.member(t, "digest@agency.example", f.Agency, db.RoleTriager)
	one, both := queueDigest(t, d, u, f.clientReport), queueDigest(t, d, u, f.clientReport, f.siblingReport)
	for _, c := range []struct {
		o         *db.Organisation
		one, both bool
	}{{f.Client, true, false}, {f.Sibling, false, false}, {f.Agency, true, true}} {
		got := orgMailIDs(t, d, c.o.ID, "")
		if got[one] != c.one || got[both] != c.both {
			t.Errorf("%s reads the client's digest %v (want %v), the mixed one %v (want %v)", c.o.Slug, got[one], c.one, got[both], c.both)
		}
	}
	// The sibling's program moves to the client: the mixed digest, sent
	// while the client held only one of its reports, stays the parent's;
	// a digest of both after the move is the client's.
	if _, err := d.MoveProgram(context.Background(), f.PSibling.ID, f.Client.Slug, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	later := queueDigest(t, d, u, f.clientReport, f.siblingReport)
	if got := orgMailIDs(t, d, f.Client.ID, ""); got[both] || !got[later] {
		t.Errorf("after the move the client reads the earlier mixed digest %v (want false), the later one %v (want true)", got[both], got[later])
	}
}

// orgOutboxPlanWork runs an organisation's outbox pages and retry for
// TestQueryPlans.
func orgOutboxPlanWork(t *testing.T, d *db.DB) {
	ctx := context.Background()
	for _, st := range []string{"", db.OutboxPending, db.OutboxSent, db.OutboxFailed} {
		if _, err := d.OrgMails(ctx, db.DefaultOrgID, st, 50); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := d.OrgMailByID(ctx, db.DefaultOrgID, 1); err != nil && db.ErrorCode(err) != db.ENOTFOUND {
		t.Fatal(err)
	}
	if _, err := d.OrgMailCounts(ctx, db.DefaultOrgID); err != nil {
		t.Fatal(err)
	}
	if err := d.RetryOrgMail(ctx, db.DefaultOrgID, 1, db.ActorSystem); err != nil && db.ErrorCode(err) != db.ECONFLICT && db.ErrorCode(err) != db.ENOTFOUND {
		t.Fatal(err)
	}
	// A program with mail and a digest naming its report moves (refiling).
	pr := db.NewProgramDefaults()
	pr.Name, pr.Slug, pr.Prefix = "Plan outbox", "plan-outbox", "PLANOB"
	p, err := d.SaveProgram(ctx, pr, nil, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := d.CreateReport(ctx, &db.NewReport{ProgramID: p.ID, Source: db.SourceWeb, Title: "t", Description: "d", Reporter: db.Reporter{Email: "plan-ob@example.net"}})
	if err != nil {
		t.Fatal(err)
	}
	ev := &mailin.Events{Store: d, Notifier: &mailin.Notifier{BaseURL: &url.URL{Scheme: "https", Host: "portal.test"}, Domain: "portal.test"},
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if _, err := ev.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	u, err := d.UserByEmail(ctx, "plan-invitee@example.org")
	if err != nil {
		t.Fatal(err)
	}
	queueDigest(t, d, u, rc.ReportID)
	if _, err := d.MoveProgram(ctx, p.ID, "plan-org", db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	// The upgrade's filing of old audit rows (audit_scope_backfill.go).
	if err := d.BackfillAuditOrgsForTest(ctx, 1, 100); err != nil {
		t.Fatal(err)
	}
}
