package db_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin"
)

// TestSealedMailWaitsForUnlock: with sealing on and the team key locked, a
// web report's acknowledgement is queued with the reporter's sealed address,
// is not claimed (no attempt spent) while locked, and goes to the right
// address once the key is unlocked.
func TestSealedMailWaitsForUnlock(t *testing.T) {
	ctx := context.Background()
	d := newMailDB(t, MustOpenDB(t), &mailin.Notifier{BaseURL: &url.URL{Scheme: "https", Host: "portal.example.org"}, Domain: "portal.example.org", ReplyAddress: "security@example.org"})
	key := newTeamKey(t)
	key.Lock()
	d.SetSealer(key, true)
	p, _ := d.DefaultProgram(ctx)
	in := validReport(p.ID)
	in.Reporter.Email = "alice@example.org"
	if _, err := d.CreateReport(ctx, in); err != nil {
		t.Fatal(err)
	}
	d.drain() // composed while locked: the address stays sealed in the outbox
	if _, err := d.ClaimMail(ctx, time.Minute); db.ErrorCode(err) != db.ENOTFOUND {
		t.Fatalf("a sealed mail was claimed while the key is locked: %v", err)
	}
	if err := key.Unlock([]byte(sealPassphrase)); err != nil {
		t.Fatal(err)
	}
	m, err := d.ClaimMail(ctx, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if m.To != "alice@example.org" || m.Attempts != 1 {
		t.Fatalf("claimed mail to %q after %d attempts, want alice@example.org after 1", m.To, m.Attempts)
	}
	if fileHas(t, d.DB, "alice@example.org") {
		t.Fatal("the reporter's address is on disk in the clear")
	}
}
