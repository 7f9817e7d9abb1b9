package db_test

import (
	"context"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
)

// planAdvisories runs every advisory statement for TestQueryPlans.
func planAdvisories(t *testing.T, d *db.DB, f *triageFixture, r *db.Report, admin *db.User) {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	org, err := d.OrgByID(ctx, db.DefaultOrgID)
	must(err)
	in := advisoryInput()
	in.PublishAt = f.now.Add(time.Hour)
	a, err := d.CreateAdvisory(ctx, org, []int64{r.ID}, in, f.Actor)
	must(err)
	must(d.UpdateAdvisory(ctx, a.ID, a.Version, in, f.Actor))
	a, err = d.AdvisoryByIdent(ctx, org.ID, a.Ident)
	must(err)
	must(d.SubmitAdvisory(ctx, a.ID, a.Version, f.Actor))
	a, err = d.AdvisoryByID(ctx, a.ID)
	must(err)
	credits, err := d.ReportCredits(ctx, r.ID)
	must(err)
	must(d.SetReporterCredit(ctx, r.ID, credits[0].ID, "Alice", false))
	a, err = d.AdvisoryByID(ctx, a.ID)
	must(err)
	_, err = d.ApproveAdvisory(ctx, a.ID, a.Version, admin.Actor(""))
	must(err)
	_, _, err = d.NextAdvisoryDue(ctx)
	must(err)
	f.advance(2 * time.Hour)
	_, err = d.PublishDue(ctx)
	must(err)
	a, err = d.PublicAdvisory(ctx, org.ID, a.Ident)
	must(err)
	must(d.ReviseAdvisory(ctx, a.ID, a.Version, in, "Fixed version corrected.", f.Actor))
	_, err = d.OrgAdvisories(ctx, org.ID)
	must(err)
	_, err = d.PublicAdvisories(ctx, org.ID, 20)
	must(err)
	_, err = d.Acknowledgements(ctx, org.ID)
	must(err)
	b, err := d.CreateAdvisory(ctx, org, []int64{r.ID}, in, f.Actor)
	must(err)
	must(d.SubmitAdvisory(ctx, b.ID, b.Version, f.Actor))
	must(d.ReturnAdvisory(ctx, b.ID, b.Version+1, f.Actor))
	a, err = d.AdvisoryByID(ctx, a.ID)
	must(err)
	must(d.WithdrawAdvisory(ctx, a.ID, a.Version, "Wrong product.", f.Actor))
}
