package db_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
)

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestDueAt: hours are elapsed time across daylight-saving changes; days
// and months are calendar ones in the organisation's zone.
func TestDueAt(t *testing.T) {
	berlin, kolkata, ny := mustZone(t, "Europe/Berlin"), mustZone(t, "Asia/Kolkata"), mustZone(t, "America/New_York")
	for _, c := range []struct {
		name   string
		anchor time.Time
		amount int
		unit   string
		loc    *time.Location
		want   time.Time
	}{
		{"CERT-In 6 hours", time.Date(2026, 5, 4, 22, 30, 0, 0, kolkata), 6, "hours", kolkata, time.Date(2026, 5, 5, 4, 30, 0, 0, kolkata)},
		// Berlin moves to summer time at 02:00 on 29 March 2026: 72 hours
		// later reads an hour later on the wall clock.
		{"GDPR 72 hours across spring forward", time.Date(2026, 3, 28, 9, 0, 0, 0, berlin), 72, "hours", berlin, time.Date(2026, 3, 31, 10, 0, 0, 0, berlin)},
		{"NIS2 24 hours across fall back", time.Date(2026, 10, 24, 12, 0, 0, 0, berlin), 24, "hours", berlin, time.Date(2026, 10, 25, 11, 0, 0, 0, berlin)},
		{"CRA 14 days across spring forward keeps the wall clock", time.Date(2026, 3, 20, 9, 0, 0, 0, berlin), 14, "days", berlin, time.Date(2026, 4, 3, 9, 0, 0, 0, berlin)},
		{"14 days in New York across its spring forward", time.Date(2026, 3, 1, 9, 0, 0, 0, ny), 14, "days", ny, time.Date(2026, 3, 15, 9, 0, 0, 0, ny)},
		{"one month", time.Date(2026, 6, 15, 17, 0, 0, 0, kolkata), 1, "months", kolkata, time.Date(2026, 7, 15, 17, 0, 0, 0, kolkata)},
		{"one month from 31 January ends on 28 February", time.Date(2026, 1, 31, 10, 0, 0, 0, time.UTC), 1, "months", time.UTC, time.Date(2026, 2, 28, 10, 0, 0, 0, time.UTC)},
		{"one month from 31 January in a leap year", time.Date(2028, 1, 31, 10, 0, 0, 0, time.UTC), 1, "months", time.UTC, time.Date(2028, 2, 29, 10, 0, 0, 0, time.UTC)},
		// 23:30 UTC on 31 March is 1 April in Kolkata: the month is Kolkata's.
		{"the month is the zone's", time.Date(2026, 3, 31, 23, 30, 0, 0, time.UTC), 1, "months", kolkata, time.Date(2026, 5, 1, 5, 0, 0, 0, kolkata)},
		{"one month across fall back", time.Date(2026, 10, 10, 9, 0, 0, 0, berlin), 1, "months", berlin, time.Date(2026, 11, 10, 9, 0, 0, 0, berlin)},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := db.DueAt(c.anchor, c.amount, c.unit, c.loc); !got.Equal(c.want) {
				t.Errorf("DueAt = %s, want %s", got.In(c.loc), c.want)
			}
		})
	}
}

// TestPresetClocks: every shipped preset, opened on one incident, gets its
// deadlines from awareness (or from the event it names) once awareness is
// recorded, and not before.
func TestPresetClocks(t *testing.T) {
	ctx := context.Background()
	f := newIncidentFixture(t)
	if err := f.SetIncidentTimeZone(ctx, f.client.ID, "Europe/Berlin", db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	all := []string{"cert-in", "dpdp", "gdpr", "nis2", "cra-exploited", "cra-incident", "contractual"}
	i := f.open(t, &db.NewIncident{Presets: all})
	obs, err := f.Obligations(ctx, i.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(obs) != 16 {
		t.Fatalf("%d obligations, want 16", len(obs))
	}
	for _, o := range obs {
		if !o.DueAt.IsZero() {
			t.Errorf("%s/%s is due at %s before awareness was recorded", o.Preset.Preset, o.Stage, o.DueAt)
		}
	}
	aware := time.Date(2026, 3, 28, 8, 0, 0, 0, time.UTC) // 09:00 in Berlin, the day before summer time
	if err := f.RecordAwareness(ctx, i.ID, i.Version, aware, "SHOP-1: the reporter saw other customers' orders", staffActor); err != nil {
		t.Fatal(err)
	}
	h := func(n int) time.Time { return aware.Add(time.Duration(n) * time.Hour) }
	want := map[string]time.Time{
		"cert-in/report": h(6), "dpdp/board-intimation": {}, "dpdp/board-report": h(72), "dpdp/data-principals": {},
		"gdpr/authority": h(72), "gdpr/data-subjects": {},
		"nis2/early-warning": h(24), "nis2/notification": h(72), "nis2/final-report": {},
		"cra-exploited/early-warning": h(24), "cra-exploited/notification": h(72), "cra-exploited/final-report": {},
		"cra-incident/early-warning": h(24), "cra-incident/notification": h(72), "cra-incident/final-report": {},
		"contractual/customers": h(24),
	}
	check := func(want map[string]time.Time) []*db.Obligation {
		t.Helper()
		obs, err := f.Obligations(ctx, i.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range obs {
			k := o.Preset.Preset + "/" + o.Stage
			if w, ok := want[k]; !ok || !o.DueAt.Equal(w) {
				t.Errorf("%s due %s, want %s", k, o.DueAt, w)
			}
		}
		return obs
	}
	obs = check(want)
	if !obs[0].Overdue(h(7)) || obs[0].Overdue(h(5)) {
		t.Error("CERT-In is not overdue after 7 hours, or is after 5")
	}

	// The NIS2 notification sent on 31 March 10:00 Berlin: the final report
	// is due a calendar month later, in Berlin. The corrective measure
	// starts the CRA's 14 days.
	cur, _ := f.IncidentByID(ctx, i.ID)
	sent := time.Date(2026, 3, 31, 8, 0, 0, 0, time.UTC)
	f.clk.t = sent.Add(time.Hour)
	var nis2 int64
	for _, o := range obs {
		if o.Preset.Preset == "nis2" && o.Stage == "notification" {
			nis2 = o.ID
		}
	}
	if err := f.SetObligation(ctx, i.ID, cur.Version, nis2, db.ObligationUpdate{State: "sent", SentAt: sent, SentTo: "CSIRT-DE", Reference: "BSI-2026-0042", SentCopy: "Initial assessment ..."}, staffActor); err != nil {
		t.Fatal(err)
	}
	fix := time.Date(2026, 3, 30, 12, 0, 0, 0, time.UTC)
	if err := f.SetCorrectiveMeasure(ctx, i.ID, cur.Version+1, fix, staffActor); err != nil {
		t.Fatal(err)
	}
	want["nis2/final-report"] = time.Date(2026, 4, 30, 10, 0, 0, 0, mustZone(t, "Europe/Berlin")).UTC()
	want["cra-exploited/final-report"] = fix.AddDate(0, 0, 14)
	check(want)

	// Awareness corrected an hour earlier moves every clock it runs.
	if err := f.RecordAwareness(ctx, i.ID, cur.Version+2, aware.Add(-time.Hour), "SHOP-1, the first mail", staffActor); err != nil {
		t.Fatal(err)
	}
	for k, w := range want {
		if !w.IsZero() && k != "nis2/final-report" && k != "cra-exploited/final-report" {
			want[k] = w.Add(-time.Hour)
		}
	}
	check(want)
}

// TestAwarenessRefused: awareness needs a time that is not in the future
// and what it came from.
func TestAwarenessRefused(t *testing.T) {
	ctx := context.Background()
	f := newIncidentFixture(t)
	i := f.open(t, &db.NewIncident{})
	err := f.RecordAwareness(ctx, i.ID, i.Version, f.clk.t.Add(time.Hour), "", staffActor)
	if fieldError(err, "aware_at") == "" || fieldError(err, "aware_source") == "" {
		t.Fatalf("err = %v", err)
	}
}

// TestOrgPresetOverrides: an organisation's own row takes the place of the
// shipped one for its incidents only.
func TestOrgPresetOverrides(t *testing.T) {
	ctx := context.Background()
	f := newIncidentFixture(t)
	p := &db.Preset{Preset: "contractual", Stage: "customers", Position: 70, Regime: "Contract", Title: "Tell the bank",
		Recipient: "Bank CISO", DueAmount: 4, DueUnit: "hours", Anchor: "awareness", Content: "What happened", Source: "MSA §12.3"}
	if err := f.SavePreset(ctx, f.client.ID, p, staffActor); err != nil {
		t.Fatal(err)
	}
	aware := f.clk.t.Add(-time.Hour)
	for _, c := range []struct {
		org  int64
		want time.Duration
	}{{f.client.ID, 4 * time.Hour}, {f.other.ID, 24 * time.Hour}} {
		i := f.open(t, &db.NewIncident{OrgID: c.org, Presets: []string{"contractual"}, AwareAt: aware, AwareSource: "a call"})
		obs, err := f.Obligations(ctx, i.ID)
		if err != nil || len(obs) != 1 {
			t.Fatalf("%d obligations, %v", len(obs), err)
		}
		if got := obs[0].DueAt.Sub(aware); got != c.want {
			t.Errorf("org %d: contractual due after %s, want %s", c.org, got, c.want)
		}
	}
}

// TestIncidentClockAlerts: the owner and the organisation's admins are
// told at half time, one hour left and overdue, each once, also when the
// job runs again from a fresh start; a stopped job that finds several
// points reached tells the latest only; a moved deadline is told again.
func TestIncidentClockAlerts(t *testing.T) {
	ctx := context.Background()
	f := newIncidentFixture(t)
	mk := func(email string, role db.Role) int64 {
		u, err := f.CreateUser(ctx, &db.NewUser{Email: email, Role: db.RoleViewer, Password: "correct horse battery staple"}, db.ActorSystem)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.SetOrgMember(ctx, f.client.ID, u.ID, role, db.ActorSystem); err != nil {
			t.Fatal(err)
		}
		return u.ID
	}
	owner := mk("owner@example.org", db.RoleTriager)
	mk("admin@client.example", db.RoleAdmin)
	mk("viewer@client.example", db.RoleViewer)
	i := f.open(t, &db.NewIncident{Presets: []string{"cert-in"}, AwareAt: f.clk.t, AwareSource: "a call"})
	if err := f.EditIncident(ctx, i.ID, i.Version, staffActor, db.IncidentEdit{Title: i.Title, Severity: i.Severity, PersonalData: "unknown", OwnerID: owner}); err != nil {
		t.Fatal(err)
	}
	var told []string
	compose := func(a *db.ClockAlert, to db.AlertRecipient) *db.OutMail {
		told = append(told, a.Point+" "+to.Email)
		return &db.OutMail{Kind: "incident_clock", MessageID: "<" + a.Point + to.Email + a.DueAt.String() + "@x>", Subject: a.Ref, Body: a.Obligation}
	}
	run := func(at time.Duration, want ...string) {
		t.Helper()
		told = nil
		f.clk.t = i.AwareAt.Add(at)
		if _, err := f.IncidentClockAlerts(ctx, compose); err != nil {
			t.Fatal(err)
		}
		if strings.Join(told, ", ") != strings.Join(want, ", ") {
			t.Errorf("after %s told %q, want %q", at, told, want)
		}
	}
	run(2 * time.Hour)
	run(3*time.Hour, "half-time owner@example.org", "half-time admin@client.example")
	run(3*time.Hour + time.Minute)
	run(5*time.Hour, "hour-left owner@example.org", "hour-left admin@client.example")
	run(5 * time.Hour)
	run(7*time.Hour, "overdue owner@example.org", "overdue admin@client.example")
	run(8 * time.Hour)

	// A fresh incident whose job was stopped past its deadline: only the
	// latest point. Then awareness corrected: the new deadline is told.
	j := f.open(t, &db.NewIncident{Presets: []string{"cert-in"}, AwareAt: i.AwareAt.Add(7 * time.Hour), AwareSource: "a call"})
	i = j
	run(7*time.Hour, "overdue admin@client.example")
	cur, _ := f.IncidentByID(ctx, j.ID)
	if err := f.RecordAwareness(ctx, j.ID, cur.Version, j.AwareAt.Add(-time.Minute), "the first call", staffActor); err != nil {
		t.Fatal(err)
	}
	run(7*time.Hour, "overdue admin@client.example")
	mails, err := f.Mails(ctx, "", 50)
	if err != nil {
		t.Fatal(err)
	}
	if len(mails) != 8 {
		t.Errorf("%d mails in the outbox, want 8", len(mails))
	}
}
