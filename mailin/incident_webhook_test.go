package mailin

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
)

// TestIncidentClockWebhooks: a clock alert reaches the webhooks of the
// incident's organisation opted in to incident clocks, signed, content-free (reference, obligation,
// point, deadline; no title), once per point: again after the database is
// opened afresh nothing is queued twice; another organisation's webhooks
// get nothing, nor does a webhook of the organisation not opted in.
func TestIncidentClockWebhooks(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "disclose.db")
	d, err := db.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	clock := &testClock{t: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}
	d.Now = clock.Now
	admin := db.Actor{Name: "admin@example.org"}
	hook := func(programID int64, format db.WebhookFormat, clocks bool) *hookReceiver {
		rcv := &hookReceiver{}
		srv := httptest.NewServer(rcv)
		t.Cleanup(srv.Close)
		h, err := d.CreateWebhook(ctx, &db.NewWebhook{ProgramID: programID, URL: srv.URL + "/hook", Format: format, Enabled: true,
			IncidentClocks: clocks, Reach: db.WebhookReachLoopback}, admin)
		if err != nil {
			t.Fatal(err)
		}
		rcv.secret = h.Secret
		return rcv
	}
	p, err := d.DefaultProgram(ctx)
	if err != nil {
		t.Fatal(err)
	}
	own, slack, team := hook(p.ID, db.WebhookGeneric, true), hook(p.ID, db.WebhookSlack, true), hook(p.ID, db.WebhookGeneric, false)
	other, err := d.CreateOrg(ctx, &db.NewOrg{Slug: "other", Name: "Other"}, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	op := db.NewProgramDefaults()
	op.Name, op.Slug, op.Prefix, op.OrgID = "Else", "else", "ELSE", other.ID
	prog, err := d.SaveProgram(ctx, op, nil, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	foreign := hook(prog.ID, db.WebhookGeneric, true)
	inc, err := d.CreateIncident(ctx, &db.NewIncident{OrgID: db.DefaultOrgID, Title: "Customer table dumped", Severity: "high",
		AwareAt: clock.t.Add(-7 * time.Hour), AwareSource: "a call", Presets: []string{"cert-in"}}, admin)
	if err != nil {
		t.Fatal(err)
	}
	compose := func(a *db.ClockAlert, to db.AlertRecipient) *db.OutMail { return nil }
	if n, err := d.IncidentClockAlerts(ctx, compose); err != nil || n != 1 {
		t.Fatalf("alerts: %d, %v", n, err)
	}
	// A restart: the database opened again, the job run again.
	d.Close()
	if d, err = db.Open(ctx, path); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	d.Now = clock.Now
	if n, err := d.IncidentClockAlerts(ctx, compose); err != nil || n != 0 {
		t.Fatalf("alerts after a restart: %d, %v", n, err)
	}
	if n, err := newHookWorker(d).SendDue(ctx); err != nil || n != 2 {
		t.Fatalf("sent %d, %v; want 2 (the organisation's two opted-in webhooks)", n, err)
	}
	bodies, headers, verified := own.seen()
	if len(bodies) != 1 || verified[0] != nil {
		t.Fatalf("own webhook got %d bodies (%v)", len(bodies), verified)
	}
	var ev struct {
		Event    string
		Report   any
		Incident map[string]string
	}
	if err := json.Unmarshal(bodies[0], &ev); err != nil {
		t.Fatal(err)
	}
	due := inc.AwareAt.Add(6 * time.Hour).UTC().Format(time.RFC3339)
	want := map[string]string{"ref": inc.Ref(), "url": "https://portal.example.org/incidents/" + inc.Ref(), "obligation": "cert-in/report",
		"point": "overdue", "due_at": due}
	if ev.Event != "incident.clock" || ev.Report != nil || len(ev.Incident) != len(want) {
		t.Fatalf("event %s", bodies[0])
	}
	for k, v := range want {
		if ev.Incident[k] != v {
			t.Errorf("incident.%s = %q, want %q", k, ev.Incident[k], v)
		}
	}
	if got := headers[0].Get(HeaderEvent); got != "incident.clock" {
		t.Errorf("event header %q", got)
	}
	sb, _, sv := slack.seen()
	if len(sb) != 1 || sv[0] != nil || !strings.Contains(string(sb[0]), "cert-in/report") || !strings.Contains(string(sb[0]), "is overdue") {
		t.Errorf("slack got %q (%v)", sb, sv)
	}
	for _, b := range append(bodies, sb...) {
		if strings.Contains(string(b), "Customer table") {
			t.Errorf("a content-free webhook carries the incident's title: %s", b)
		}
	}
	if fb, _, _ := foreign.seen(); len(fb) != 0 {
		t.Errorf("another organisation's webhook got %q", fb)
	}
	if tb, _, _ := team.seen(); len(tb) != 0 {
		t.Errorf("a webhook not opted in to incident clocks got %q", tb)
	}
}
