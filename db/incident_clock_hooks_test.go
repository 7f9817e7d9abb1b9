package db_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
)

// TestIncidentClockWebhooksOptIn: a clock alert goes only to the enabled
// webhooks of the organisation's programs that were opted in to incident
// clocks, once per point; a program webhook set up for report events (the
// program team's channel) gets nothing, nor does a disabled one or one of
// another organisation. Existing and new webhooks start opted out.
func TestIncidentClockWebhooksOptIn(t *testing.T) {
	ctx := context.Background()
	f := newIncidentFixture(t)
	hook := func(programID int64, enabled, clocks bool) *db.Webhook {
		h, err := f.CreateWebhook(ctx, &db.NewWebhook{ProgramID: programID, URL: "https://hooks.example.org/" + strings.Repeat("x", int(programID)),
			Format: db.WebhookGeneric, Enabled: enabled}, db.ActorSystem)
		if err != nil {
			t.Fatal(err)
		}
		if h.IncidentClocks {
			t.Fatalf("a new webhook is opted in to incident clocks")
		}
		if clocks {
			if err := f.UpdateWebhook(ctx, h.ID, &db.NewWebhook{ProgramID: programID, URL: h.URL, Format: h.Format, Enabled: enabled,
				IncidentClocks: true}, staffActor); err != nil {
				t.Fatal(err)
			}
			if h, err = f.WebhookByID(ctx, h.ID); err != nil || !h.IncidentClocks {
				t.Fatalf("opted-in webhook reads back %+v, %v", h, err)
			}
		}
		return h
	}
	team := hook(f.shop.ID, true, false)
	optedIn := hook(f.shop.ID, true, true)
	disabled := hook(f.shop.ID, false, true)
	foreign := hook(f.otherPrg.ID, true, true)
	i := f.open(t, &db.NewIncident{Presets: []string{"cert-in"}, AwareAt: f.clk.t, AwareSource: "a call"})
	compose := func(*db.ClockAlert, db.AlertRecipient) *db.OutMail { return nil }
	var points []string
	for _, at := range []time.Duration{2 * time.Hour, 3 * time.Hour, 4 * time.Hour, 5 * time.Hour, 7 * time.Hour, 8 * time.Hour} {
		f.clk.t = i.AwareAt.Add(at)
		if _, err := f.IncidentClockAlerts(ctx, compose); err != nil {
			t.Fatal(err)
		}
	}
	got := func(h *db.Webhook) []*db.Delivery {
		ds, err := f.Deliveries(ctx, h.ID, 20)
		if err != nil {
			t.Fatal(err)
		}
		return ds
	}
	for _, d := range got(optedIn) {
		if d.Event != db.EventIncidentClock || d.Ref != i.Ref() {
			t.Errorf("opted-in webhook got %s %s", d.Event, d.Ref)
		}
		points = append(points, d.Point)
	}
	if strings.Join(points, " ") != "overdue hour-left half-time" {
		t.Errorf("opted-in webhook got points %q, want one delivery each of half-time, hour-left, overdue", points)
	}
	for name, h := range map[string]*db.Webhook{"the program team's webhook (not opted in)": team, "a disabled webhook": disabled,
		"another organisation's webhook": foreign} {
		if ds := got(h); len(ds) != 0 {
			t.Errorf("%s got %d deliveries (%s %s)", name, len(ds), ds[0].Event, ds[0].Point)
		}
	}
}

// TestMovedProgramWebhookLosesIncidentClocks: a program that moves to
// another organisation takes its webhooks along, paused; the incident
// clocks switch an admin of the old organisation turned on is off, so the
// new organisation's incidents reach that endpoint only when one of its
// own admins chooses so.
func TestMovedProgramWebhookLosesIncidentClocks(t *testing.T) {
	ctx := context.Background()
	f := newIncidentFixture(t)
	h, err := f.CreateWebhook(ctx, &db.NewWebhook{ProgramID: f.shop.ID, URL: "https://hooks.client.example/x", Format: db.WebhookGeneric, Enabled: true,
		IncidentClocks: true}, staffActor)
	if err != nil || !h.IncidentClocks {
		t.Fatalf("opted-in webhook: %+v, %v", h, err)
	}
	i := f.open(t, &db.NewIncident{Presets: []string{"cert-in"}, AwareAt: f.clk.t, AwareSource: "a call"})
	f.clk.t = i.AwareAt.Add(7 * time.Hour)
	if _, err := f.IncidentClockAlerts(ctx, func(*db.ClockAlert, db.AlertRecipient) *db.OutMail { return nil }); err != nil {
		t.Fatal(err)
	}
	if ds, _ := f.Deliveries(ctx, h.ID, 20); len(ds) != 1 {
		t.Fatalf("%d clock alerts queued before the move, want 1", len(ds))
	}
	if _, err := f.MoveProgram(ctx, f.shop.ID, f.other.Slug, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	got, err := f.WebhookByID(ctx, h.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Enabled || got.IncidentClocks {
		t.Fatalf("after the move the webhook has enabled=%t incident clocks=%t, want both off", got.Enabled, got.IncidentClocks)
	}
	if ds, _ := f.Deliveries(ctx, h.ID, 20); len(ds) != 0 {
		t.Errorf("the old organisation's clock alert is still queued for the moved webhook (%s)", ds[0].Status)
	}
}

// TestWebhookClocksOffDropsQueued: switching incident clocks off drops the
// clock alerts still queued for the webhook; what was sent stays listed.
func TestWebhookClocksOffDropsQueued(t *testing.T) {
	ctx := context.Background()
	f := newIncidentFixture(t)
	in := &db.NewWebhook{ProgramID: f.shop.ID, URL: "https://hooks.client.example/x", Format: db.WebhookGeneric, Enabled: true, IncidentClocks: true}
	h, err := f.CreateWebhook(ctx, in, staffActor)
	if err != nil {
		t.Fatal(err)
	}
	i := f.open(t, &db.NewIncident{Presets: []string{"cert-in"}, AwareAt: f.clk.t, AwareSource: "a call"})
	compose := func(*db.ClockAlert, db.AlertRecipient) *db.OutMail { return nil }
	f.clk.t = i.AwareAt.Add(3 * time.Hour)
	if _, err := f.IncidentClockAlerts(ctx, compose); err != nil {
		t.Fatal(err)
	}
	ds, _ := f.Deliveries(ctx, h.ID, 20)
	if len(ds) != 1 {
		t.Fatalf("%d deliveries, want the half-time one", len(ds))
	}
	if err := f.DeliverySent(ctx, ds[0].ID); err != nil {
		t.Fatal(err)
	}
	f.clk.t = i.AwareAt.Add(5 * time.Hour)
	if _, err := f.IncidentClockAlerts(ctx, compose); err != nil {
		t.Fatal(err)
	}
	in.IncidentClocks = false
	if err := f.UpdateWebhook(ctx, h.ID, in, staffActor); err != nil {
		t.Fatal(err)
	}
	ds, _ = f.Deliveries(ctx, h.ID, 20)
	if len(ds) != 1 || ds[0].Point != db.AlertHalfTime || ds[0].Status != db.OutboxSent {
		t.Fatalf("after switching off: %d deliveries, want only the sent half-time one", len(ds))
	}
}

// webhookClocksPlanWork runs the webhook statements of incident clocks
// for TestQueryPlans: a webhook opted in and switched off again.
func webhookClocksPlanWork(t *testing.T, d *db.DB, programID int64) {
	t.Helper()
	ctx := context.Background()
	in := &db.NewWebhook{ProgramID: programID, URL: "https://hooks.example.org/plan", Format: db.WebhookGeneric, Enabled: true, IncidentClocks: true}
	h, err := d.CreateWebhook(ctx, in, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	in.IncidentClocks = false
	if err := d.UpdateWebhook(ctx, h.ID, in, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
}
