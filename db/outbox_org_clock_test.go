package db_test

import (
	"context"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
)

// TestOrgOutboxClockAlerts: an incident's overdue-clock mail to the
// client's admin is on the client's outbox (and its parent's), where its
// admins can see it failed and send it again; never on the sibling's.
func TestOrgOutboxClockAlerts(t *testing.T) {
	ctx := context.Background()
	f := newOrgFixture(t)
	d := f.DB
	f.member(t, "boss@client.example", f.Client, db.RoleAdmin)
	if _, err := d.CreateIncident(ctx, &db.NewIncident{OrgID: f.Client.ID, Title: "t", Severity: "high",
		AwareAt: d.Now().Add(-7 * time.Hour), AwareSource: "a call", Presets: []string{"cert-in"}}, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	compose := func(a *db.ClockAlert, to db.AlertRecipient) *db.OutMail {
		return &db.OutMail{Kind: "incident_clock", MessageID: "<clock-" + a.Point + "-" + to.Email + ">", Subject: "[" + a.Ref + "] clock", Body: "b"}
	}
	if n, err := d.IncidentClockAlerts(ctx, compose); err != nil || n == 0 {
		t.Fatalf("clock alerts: %d %v", n, err)
	}
	clock := func(o *db.Organisation) (ids []int64) {
		t.Helper()
		mails, err := d.OrgMails(ctx, o.ID, "", 50)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range mails {
			if m.Kind == "incident_clock" {
				ids = append(ids, m.ID)
			}
		}
		return ids
	}
	got := clock(f.Client)
	if len(got) == 0 {
		t.Fatal("the client's incident clock alert is not on the client's outbox")
	}
	if len(clock(f.Agency)) != len(got) || len(clock(f.Sibling)) != 0 {
		t.Errorf("clock alerts on agency %d, sibling %d; want %d, 0", len(clock(f.Agency)), len(clock(f.Sibling)), len(got))
	}
	if err := d.MailFailed(ctx, got[0], "451 try later"); err != nil {
		t.Fatal(err)
	}
	if err := d.RetryOrgMail(ctx, f.Client.ID, got[0], db.Actor{Name: "boss@client.example"}); err != nil {
		t.Errorf("the client's admin cannot send its clock alert again: %v", err)
	}
}
