package main

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
)

// TestPublisher runs serve's advisory publisher on an injected clock: it
// sleeps exactly until the approved advisory's moment, publishes it when
// that sleep ends, and an approval wakes it to read the schedule again. No
// sleeps: the test hands out the timer channels and fires them.
func TestPublisher(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d, err := db.Open(ctx, filepath.Join(t.TempDir(), "disclose.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	now := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	d.Now = func() time.Time { return now }
	org, err := d.OrgByID(ctx, db.DefaultOrgID)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := d.DefaultProgram(ctx)
	rc, err := d.CreateReport(ctx, &db.NewReport{ProgramID: p.ID, Source: db.SourceWeb, Title: "XSS", Description: "d"})
	if err != nil {
		t.Fatal(err)
	}
	approver, err := d.CreateUser(ctx, &db.NewUser{Email: "anna@example.org", Role: db.RoleAdmin, Password: "correct horse battery staple"}, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}

	type timer struct {
		d    time.Duration
		fire chan time.Time
	}
	timers := make(chan timer)
	pub := newPublisher(d, slog.New(slog.NewTextHandler(io.Discard, nil)))
	pub.after = func(d time.Duration) <-chan time.Time {
		c := make(chan time.Time, 1)
		timers <- timer{d, c}
		return c
	}
	done := make(chan struct{})
	go func() { defer close(done); pub.run(ctx) }()

	first := <-timers
	if first.d != pub.longest {
		t.Errorf("nothing scheduled: sleeps %v, want %v", first.d, pub.longest)
	}
	moment := now.Add(90 * time.Second)
	a, err := d.CreateAdvisory(ctx, org, []int64{rc.ReportID}, &db.AdvisoryInput{Title: "T", Summary: "S", PublishAt: moment,
		Products: []db.AffectedProduct{{Product: "P", Affected: "< 1"}}}, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.SubmitAdvisory(ctx, a.ID, a.Version, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	if _, err := d.ApproveAdvisory(ctx, a.ID, a.Version+1, approver.Actor("")); err != nil {
		t.Fatal(err)
	}
	pub.Wake()
	second := <-timers
	if second.d != pub.longest {
		t.Errorf("90 s away: sleeps %v, want the longest sleep %v", second.d, pub.longest)
	}
	now = now.Add(time.Minute)
	second.fire <- now
	third := <-timers
	if third.d != 30*time.Second {
		t.Errorf("30 s away: sleeps %v, want 30s", third.d)
	}
	if got, _ := d.AdvisoryByID(ctx, a.ID); got.State != db.AdvisoryScheduled {
		t.Fatalf("before the moment: %s", got.State)
	}
	now = moment
	third.fire <- now
	<-timers // the publisher went round once: it published, and sleeps again
	if got, _ := d.AdvisoryByID(ctx, a.ID); got.State != db.AdvisoryPublished || !got.PublishedAt.Equal(moment) {
		t.Fatalf("at the moment: %s at %v", got.State, got.PublishedAt)
	}
	cancel()
	<-done
}
