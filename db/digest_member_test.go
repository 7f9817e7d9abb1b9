package db_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
)

// A digest is composed a day after its events: a user who left the program
// meanwhile must not be told of its reports (reference and title).
func TestDigestLeavesOutProgramsLeft(t *testing.T) {
	ctx := context.Background()
	d, now := mustOpenMailDB(t)
	p, _ := d.DefaultProgram(ctx)
	uid, err := d.AddStaffForTest(ctx, "digest@example.org", "Digest", db.RoleTriager, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.SetNotifyPrefs(ctx, &db.NotifyPrefs{UserID: uid, Mode: db.NotifyDigest, IncludeTitle: true}, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	in := validReport(p.ID)
	in.Reporter.Email = ""
	if _, err := d.CreateReport(ctx, in); err != nil {
		t.Fatal(err)
	}
	d.drain() // the event worker queues the digest item right after the commit
	if err := d.UpdateUser(ctx, uid, "Digest", db.RoleViewer, nil, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	*now = now.Add(25 * time.Hour)
	sent, err := d.SendDigests(ctx, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	mails, _ := d.Mails(ctx, "", 50)
	for _, m := range mails {
		if m.To == "digest@example.org" && (strings.Contains(m.Body, in.Title) || strings.Contains(m.Body, "SEC-1")) {
			t.Fatalf("a user who left the program got its report in a digest:\n%s", m.Body)
		}
	}
	if sent != 0 {
		t.Errorf("digests sent = %d, want 0", sent)
	}
}
