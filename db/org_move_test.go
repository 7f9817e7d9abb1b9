package db_test

import (
	"context"
	"testing"

	"github.com/disclose/disclose/db"
)

// TestMoveProgramKeepsNoLinks: a program whose reports an incident (or an
// advisory) of its organisation links does not move: the incident would
// keep listing and exporting them (evidence carries the whole report) for
// the old organisation (session 5 review). Once moved, its webhooks, which
// post to the old organisation's endpoints, are off.
func TestMoveProgramKeepsNoLinks(t *testing.T) {
	ctx := context.Background()
	f := newOrgFixture(t)
	d := f.DB
	buyer, err := d.CreateOrg(ctx, &db.NewOrg{Slug: "buyer", Name: "Buyer"}, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := d.CreateReport(ctx, &db.NewReport{ProgramID: f.PSibling.ID, Source: db.SourceWeb, Title: "t", Description: "d",
		Reporter: db.Reporter{Email: "r@example.net"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.CreateIncident(ctx, &db.NewIncident{OrgID: f.Sibling.ID, Title: "inc", Severity: "high", Reports: []int64{rc.ReportID}}, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	if _, err := d.MoveProgram(ctx, f.PSibling.ID, buyer.Slug, db.ActorSystem); db.ErrorFields(err)["to"] == "" {
		t.Fatalf("a program whose report an incident links moved: %v", err)
	}
	// Another program, with a webhook and no links, moves; its webhook stops.
	h, err := d.CreateWebhook(ctx, &db.NewWebhook{ProgramID: f.PClient.ID, URL: "https://hooks.client.example/x", Format: db.WebhookGeneric, Enabled: true}, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	res, err := d.MoveProgram(ctx, f.PClient.ID, buyer.Slug, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := d.WebhookByID(ctx, h.ID); err != nil || got.Enabled || res.PausedWebhooks != 1 {
		t.Errorf("after the move the webhook is enabled=%v (paused %d, %v)", got != nil && got.Enabled, res.PausedWebhooks, err)
	}
}
