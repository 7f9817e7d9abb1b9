package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
)

const reviewPassword = "correct horse battery staple"

// inactiveFixture is a data dir with an admin and a viewer who signed in
// today and a triager, "old", who last signed in 100 days ago and still
// holds a session. It returns the session token of old.
func inactiveFixture(t *testing.T, data string) string {
	t.Helper()
	ctx := context.Background()
	d, err := db.Open(ctx, filepath.Join(data, "disclose.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	d.Auth.Argon2 = db.Argon2Params{Memory: 1024, Time: 1, Threads: 1}
	then := time.Now().UTC().Add(-100 * 24 * time.Hour)
	d.Now = func() time.Time { return then }
	var oldSession string
	for _, u := range []struct {
		email string
		role  db.Role
	}{{"old@example.org", db.RoleTriager}, {"admin@example.org", db.RoleAdmin}, {"recent@example.org", db.RoleViewer}} {
		if u.email == "admin@example.org" {
			d.Now = func() time.Time { return time.Now().UTC() }
		}
		if _, err := d.CreateUser(ctx, &db.NewUser{Email: u.email, Role: u.role, Password: reviewPassword}, db.ActorSystem); err != nil {
			t.Fatal(err)
		}
		res, err := d.Login(ctx, u.email, reviewPassword, "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		if u.email == "old@example.org" {
			oldSession = res.Token
		}
	}
	return oldSession
}

// mustBeDisabled checks that old is disabled, its session gone, and that
// actor audited it.
func mustBeDisabled(t *testing.T, data, session, actor string) {
	t.Helper()
	ctx := context.Background()
	d, err := db.Open(ctx, filepath.Join(data, "disclose.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	list, err := d.ReviewAccounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, u := range list {
		if u.Disabled {
			got = append(got, u.Email)
		}
	}
	if strings.Join(got, ",") != "old@example.org" {
		t.Fatalf("disabled accounts: %v, want old@example.org alone", got)
	}
	if _, err := d.UserBySession(ctx, session); db.ErrorCode(err) != db.EUNAUTHORIZED {
		t.Fatalf("old's session: err=%v, want ended", err)
	}
	page, err := d.ListAudit(ctx, db.AuditFilter{Action: "user.disable"})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Entries) != 1 || page.Entries[0].Actor != actor || !strings.Contains(page.Entries[0].Detail, "inactive since") {
		t.Fatalf("audit: %+v, want one user.disable by %q", page.Entries, actor)
	}
}

func TestUserReview(t *testing.T) {
	data := t.TempDir()
	session := inactiveFixture(t, data)

	out, err := runCmd(t, "user", "review", "--data", data)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(out, "\n")
	var oldLine string
	for _, l := range lines {
		if strings.HasPrefix(l, "old@example.org") {
			oldLine = l
		} else if strings.Contains(l, "INACTIVE") {
			t.Fatalf("flagged: %q", l)
		}
	}
	if !strings.Contains(oldLine, "INACTIVE since") || !strings.Contains(out, "1 inactive account(s)") {
		t.Fatalf("review without --disable:\n%s", out)
	}
	if out, err := runCmd(t, "user", "review", "--data", data, "--inactive-after", "200d"); err != nil || strings.Contains(out, "INACTIVE") {
		t.Fatalf("--inactive-after 200d flags (%v):\n%s", err, out)
	}
	if _, err := runCmd(t, "user", "review", "--data", data, "--inactive-after", "ninety"); err == nil {
		t.Fatal("--inactive-after ninety accepted")
	}

	out, err = runCmd(t, "user", "review", "--data", data, "--disable")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "Disabled old@example.org") {
		t.Fatalf("review --disable:\n%s", out)
	}
	mustBeDisabled(t, data, session, "cli")
}

// TestReviewJob runs the worker serve starts with DISCLOSE_INACTIVE_DISABLE:
// it disables the inactive account at once, and stops when its context ends.
func TestReviewJob(t *testing.T) {
	data := t.TempDir()
	session := inactiveFixture(t, data)
	d, err := db.Open(context.Background(), filepath.Join(data, "disclose.db"))
	if err != nil {
		t.Fatal(err)
	}
	ran := make(chan struct{})
	log := slog.New(slog.NewTextHandler(&signalWriter{match: "account review ran", ch: ran}, nil))
	ctx, cancel := context.WithCancel(context.Background())
	bg := &workers{log: log}
	bg.Go(ctx, "account-review", reviewJob(d, log, time.Hour))
	select {
	case <-ran:
	case <-time.After(30 * time.Second):
		t.Fatal("the review job did not run in 30 s")
	}
	cancel()
	bg.Wait()
	d.Close()
	mustBeDisabled(t, data, session, "account review")
}

func TestInactiveConfig(t *testing.T) {
	var a authConfig
	a.LockoutAfter, a.LockoutClient, a.LockoutDuration = 5, 20, time.Minute
	a.SessionIdle, a.SessionLifetime = time.Hour, time.Hour
	a.InactiveDisable, a.InactiveAfter = true, dayDuration(time.Hour)
	if err := a.validate(); err == nil || !strings.Contains(err.Error(), "DISCLOSE_INACTIVE_AFTER") {
		t.Fatalf("auto-disable after an hour: err=%v, want refused", err)
	}
	a.InactiveAfter = dayDuration(90 * 24 * time.Hour)
	if err := a.validate(); err != nil {
		t.Fatal(err)
	}
}
