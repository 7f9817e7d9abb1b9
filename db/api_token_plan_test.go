package db_test

import (
	"context"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
)

// planAPITokens runs the API token statements for TestQueryPlans: create,
// use (with an organisation limit too), list, revoke, a report entered
// through the API, and the trigger of a disabled account.
func planAPITokens(t *testing.T, d *db.DB, triager, admin *db.User) {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	tok, secret, err := d.CreateAPIToken(ctx, triager.ID, db.NewAPIToken{Name: "plan", Scope: db.ScopeWrite, Expires: time.Hour}, admin.Actor(""))
	must(err)
	_, limitedSecret, err := d.CreateAPIToken(ctx, admin.ID, db.NewAPIToken{Name: "plan limited", Scope: db.ScopeRead, OrgSlug: "default"}, admin.Actor(""))
	must(err)
	for _, s := range []string{secret, limitedSecret} {
		_, used, err := d.UserByAPIToken(ctx, s)
		must(err)
		must(d.TouchAPIToken(ctx, used, "127.0.0.1"))
	}
	_, err = d.APITokens(ctx, 0)
	must(err)
	_, err = d.APITokens(ctx, triager.ID)
	must(err)
	p, err := d.DefaultProgram(ctx)
	must(err)
	in := validReport(p.ID)
	in.Attachments = nil
	_, err = d.CreateReportAs(ctx, in, db.DefaultLimits, db.APIActor(tok, "127.0.0.1"))
	must(err)
	must(d.RevokeAPIToken(ctx, tok.ID, triager.ID, admin.Actor("")))
	must(d.SetUserDisabled(ctx, triager.ID, true, admin.Actor("")))
	must(d.SetUserDisabled(ctx, triager.ID, false, admin.Actor("")))
}
