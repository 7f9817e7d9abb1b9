package db_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
)

func TestAccountReview(t *testing.T) {
	ctx := context.Background()
	d := MustOpenDB(t)
	d.Auth.Argon2 = db.Argon2Params{Memory: 1024, Time: 1, Threads: 1}
	clk := withClock(d)
	login := func(email string) string {
		t.Helper()
		res, err := d.Login(ctx, email, testPassword, "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		return res.Token
	}
	MustCreateUser(t, d, "old-admin@example.org", db.RoleAdmin)
	MustCreateUser(t, d, "new-admin@example.org", db.RoleAdmin)
	MustCreateUser(t, d, "old@example.org", db.RoleTriager)
	MustCreateUser(t, d, "recent@example.org", db.RoleViewer)
	if _, _, err := d.InviteUser(ctx, &db.NewUser{Email: "invited@example.org", Role: db.RoleViewer}, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	login("old-admin@example.org")
	oldSession := login("old@example.org")
	clk.Advance(80 * 24 * time.Hour)
	login("new-admin@example.org")
	login("recent@example.org")
	clk.Advance(11 * 24 * time.Hour) // the first sign-ins are 91 days old, the others 11

	flags := func() string {
		t.Helper()
		list, err := d.ReviewAccounts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, u := range list {
			s := "ok"
			switch {
			case u.Disabled:
				s = "disabled"
			case u.Inactive:
				s = "inactive"
			}
			out = append(out, strings.TrimSuffix(u.Email, "@example.org")+"="+s)
		}
		return strings.Join(out, " ")
	}
	if got, want := flags(), "invited=inactive new-admin=ok old-admin=inactive old=inactive recent=ok"; got != want {
		t.Fatalf("review: %s, want %s", got, want)
	}

	res, err := d.DisableInactive(ctx, db.Actor{Name: "account review"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Disabled) != 3 || len(res.Kept) != 0 {
		t.Fatalf("disabled %d, kept %d; want 3 and 0", len(res.Disabled), len(res.Kept))
	}
	if got, want := flags(), "invited=disabled new-admin=ok old-admin=disabled old=disabled recent=ok"; got != want {
		t.Fatalf("after disabling: %s, want %s", got, want)
	}
	if _, err := d.UserBySession(ctx, oldSession); db.ErrorCode(err) != db.EUNAUTHORIZED {
		t.Fatalf("session of a disabled account: err=%v, want it ended", err)
	}
	page, _ := d.ListAudit(ctx, db.AuditFilter{Action: "user.disable"})
	if len(page.Entries) != 3 || page.Entries[0].Actor != "account review" || !strings.Contains(page.Entries[0].Detail, "inactive since") {
		t.Fatalf("audit: %+v, want 3 user.disable rows by the review saying since when", page.Entries)
	}

	// Enabled again by an admin: its clock restarts, the next run keeps it.
	old := mustUser(t, d, "old@example.org")
	if err := d.SetUserDisabled(ctx, old.ID, false, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	if res, err = d.DisableInactive(ctx, db.Actor{Name: "account review"}); err != nil || len(res.Disabled) != 0 {
		t.Fatalf("second run: %+v, %v; want nothing disabled", res, err)
	}

	// The last enabled admin is flagged but kept.
	clk.Advance(100 * 24 * time.Hour)
	res, err = d.DisableInactive(ctx, db.Actor{Name: "account review"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Kept) != 1 || res.Kept[0].Email != "new-admin@example.org" {
		t.Fatalf("kept %+v, want the last admin", res.Kept)
	}
	if got, want := flags(), "invited=disabled new-admin=inactive old-admin=disabled old=disabled recent=disabled"; got != want {
		t.Fatalf("after the last run: %s, want %s", got, want)
	}

	t.Run("Off", func(t *testing.T) {
		d.Auth.InactiveAfter = 0
		defer func() { d.Auth.InactiveAfter = db.DefaultAuthPolicy.InactiveAfter }()
		if got := flags(); strings.Contains(got, "inactive") {
			t.Fatalf("InactiveAfter 0 flags: %s", got)
		}
	})
}
