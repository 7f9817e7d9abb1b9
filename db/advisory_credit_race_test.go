package db_test

import (
	"context"
	"testing"
)

// TestCreditRenameMakesApprovalStale: the reporter may rename their credit
// while the advisory is in review; the rename changes the advisory's
// version, so an approval made from the page the reviewer loaded before it
// is refused and no name a second person did not see is published (session
// 5 review: the rename left the version alone and the stale approval
// passed).
func TestCreditRenameMakesApprovalStale(t *testing.T) {
	ctx := context.Background()
	f := newAdvisoryFixture(t)
	a := f.draft(t, advisoryInput())
	if err := f.DB.SubmitAdvisory(ctx, a.ID, f.fresh(t, a.ID).Version, f.Actor); err != nil {
		t.Fatal(err)
	}
	seen := f.fresh(t, a.ID) // the reviewer's page
	credits, err := f.DB.ReportCredits(ctx, f.Report.ID)
	if err != nil || len(credits) == 0 {
		t.Fatalf("credits %v %v", credits, err)
	}
	if err := f.DB.SetReporterCredit(ctx, f.Report.ID, credits[0].ID, "Visit evil.example for free CVEs", false); err != nil {
		t.Fatal(err)
	}
	if _, err := f.DB.ApproveAdvisory(ctx, a.ID, seen.Version, f.Approver.Actor("")); err == nil {
		t.Errorf("approval of version %d published a credit renamed after the reviewer loaded it", seen.Version)
	}
}
