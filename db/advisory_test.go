package db_test

import (
	"context"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
)

// advisoryFixture is the triage fixture with a second writer (an approver)
// and an organisation with a program of its own.
type advisoryFixture struct {
	*triageFixture
	Org      *db.Organisation
	Default  *db.Organisation
	Approver *db.User
	Report   *db.Report // of the default organisation, reporter "alice" (handle credit)
}

func newAdvisoryFixture(t *testing.T) *advisoryFixture {
	t.Helper()
	ctx := context.Background()
	f := &advisoryFixture{triageFixture: newTriageFixture(t)}
	var err error
	if f.Default, err = f.DB.OrgByID(ctx, db.DefaultOrgID); err != nil {
		t.Fatal(err)
	}
	if f.Org, err = f.DB.CreateOrg(ctx, &db.NewOrg{Slug: "acme", Name: "Acme"}, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	if f.Approver, err = f.DB.CreateUser(ctx, &db.NewUser{Email: "anna@example.org", Name: "Anna", Role: db.RoleTriager,
		Password: "correct horse battery staple", ProgramIDs: []int64{f.P1.ID}}, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	f.Report = f.report(t, f.P1.ID, "XSS in profile", "The name is not escaped.")
	return f
}

func advisoryInput() *db.AdvisoryInput {
	return &db.AdvisoryInput{
		Title: "Stored XSS in profile names", Summary: "A profile name could run script in other users' browsers.",
		Details: "## Details\n\nThe name was rendered unescaped.", CVSS3: "CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N",
		CVSS4: "CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:P/VC:L/VI:L/VA:N/SC:L/SI:L/SA:N", CWE: "cwe-79",
		CVEs: []string{"cve-2026-1234"}, References: []string{"https://example.org/changelog"},
		Products: []db.AffectedProduct{{Product: "Acme Portal", Affected: "< 2.4.1", Fixed: "2.4.1"}},
		Credits:  []db.AdvisoryCredit{{Name: "Tina (Acme)", Type: "analyst"}},
	}
}

func (f *advisoryFixture) draft(t *testing.T, in *db.AdvisoryInput) *db.Advisory {
	t.Helper()
	a, err := f.DB.CreateAdvisory(context.Background(), f.Default, []int64{f.Report.ID}, in, f.Actor)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func (f *advisoryFixture) fresh(t *testing.T, id int64) *db.Advisory {
	t.Helper()
	a, err := f.DB.AdvisoryByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestAdvisoryDraft(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		f := newAdvisoryFixture(t)
		a := f.draft(t, advisoryInput())
		if got, want := a.Ident, "DEFAULT-SA-2026-001"; got != want {
			t.Errorf("ident = %q, want %q", got, want)
		}
		if a.State != db.AdvisoryDraft || a.CWE != "CWE-79" || len(a.CVEs) != 1 || a.CVEs[0] != "CVE-2026-1234" {
			t.Errorf("draft = %+v", a)
		}
		// Scores are db/cvss's, the same the report pages show.
		r, _ := db.ParseAnyCVSS(a.CVSS4)
		if a.CVSS4Score != r.Score || a.Severity != r.Severity || a.CVSS3Score != 5.4 {
			t.Errorf("scores = %v/%v %s, want v4 %v %s", a.CVSS3Score, a.CVSS4Score, a.Severity, r.Score, r.Severity)
		}
		// The reporter's preference (handle "alice") is the proposed credit.
		if len(a.Credits) != 2 || a.Credits[0].Name != "alice" || a.Credits[0].ReportID != f.Report.ID || a.Credits[0].Type != "finder" || a.Credits[0].Declined {
			t.Errorf("credits = %+v", a.Credits)
		}
		if len(a.Reports) != 1 || a.Reports[0].Ref != f.Report.Ref() {
			t.Errorf("reports = %+v", a.Reports)
		}
		b := f.draft(t, advisoryInput())
		if b.Ident != "DEFAULT-SA-2026-002" {
			t.Errorf("second ident = %q", b.Ident)
		}
		// Another organisation counts on its own.
		p := db.NewProgramDefaults()
		p.Name, p.Slug, p.Prefix = "Acme", "acme", "ACME"
		p.OrgID = f.Org.ID
		ap, err := f.DB.SaveProgram(ctx, p, nil, db.ActorSystem)
		if err != nil {
			t.Fatal(err)
		}
		r2 := f.report(t, ap.ID, "Acme bug", "x")
		c, err := f.DB.CreateAdvisory(ctx, f.Org, []int64{r2.ID}, advisoryInput(), f.Actor)
		if err != nil {
			t.Fatal(err)
		}
		if c.Ident != "ACME-SA-2026-001" {
			t.Errorf("acme ident = %q", c.Ident)
		}
		if _, err := f.DB.AdvisoryByIdent(ctx, f.Default.ID, c.Ident); db.ErrorCode(err) != db.ENOTFOUND {
			t.Errorf("another organisation's advisory: %v, want not found", err)
		}
	})
	t.Run("ErrReportOfAnotherOrg", func(t *testing.T) {
		f := newAdvisoryFixture(t)
		_, err := f.DB.CreateAdvisory(ctx, f.Org, []int64{f.Report.ID}, advisoryInput(), f.Actor)
		if db.ErrorFields(err)["reports"] == "" {
			t.Fatalf("err = %v, want a reports field error", err)
		}
	})
	t.Run("ErrFields", func(t *testing.T) {
		f := newAdvisoryFixture(t)
		in := advisoryInput()
		in.Title, in.CVSS3, in.CVSS4, in.CWE = "", "CVSS:3.0/AV:N", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "CWE-99999"
		in.CVEs, in.References, in.Products = []string{"CVE-1"}, []string{"javascript:alert(1)"}, nil
		_, err := f.DB.CreateAdvisory(ctx, f.Default, []int64{f.Report.ID}, in, f.Actor)
		fields := db.ErrorFields(err)
		for _, k := range []string{"title", "cvss3", "cvss4", "cwe", "cves", "references", "products"} {
			if fields[k] == "" {
				t.Errorf("no error for %s (%v)", k, fields)
			}
		}
	})
	t.Run("AnonymousReporter", func(t *testing.T) {
		f := newAdvisoryFixture(t)
		in := validReport(f.P1.ID)
		in.Reporter = db.Reporter{Name: "Secret Person", Email: "s@example.org", Credit: db.CreditAnonymous}
		rc, err := f.DB.CreateReport(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		a, err := f.DB.CreateAdvisory(ctx, f.Default, []int64{rc.ReportID}, advisoryInput(), f.Actor)
		if err != nil {
			t.Fatal(err)
		}
		if c := a.Credits[0]; !c.Declined || c.Name != "" {
			t.Errorf("anonymous reporter's credit = %+v, want declined without a name", c)
		}
		for _, c := range a.PublicCredits() {
			if c.Name == "Secret Person" {
				t.Error("an anonymous reporter is among the public credits")
			}
		}
	})
}

func TestAdvisoryReview(t *testing.T) {
	ctx := context.Background()
	f := newAdvisoryFixture(t)
	a := f.draft(t, advisoryInput())
	if _, err := f.DB.ApproveAdvisory(ctx, a.ID, a.Version, f.Approver.Actor("")); db.ErrorCode(err) != db.ECONFLICT {
		t.Fatalf("approve a draft: %v, want conflict", err)
	}
	if err := f.DB.SubmitAdvisory(ctx, a.ID, a.Version, f.Actor); err != nil {
		t.Fatal(err)
	}
	a = f.fresh(t, a.ID)
	if err := f.DB.UpdateAdvisory(ctx, a.ID, a.Version, advisoryInput(), f.Actor); db.ErrorCode(err) != db.ECONFLICT {
		t.Errorf("edit in review: %v, want conflict", err)
	}
	t.Run("ErrAuthorApproves", func(t *testing.T) {
		_, err := f.DB.ApproveAdvisory(ctx, a.ID, a.Version, f.Actor)
		if db.ErrorCode(err) != db.EFORBIDDEN {
			t.Fatalf("author approves: %v, want forbidden", err)
		}
	})
	t.Run("ErrEditorApproves", func(t *testing.T) {
		// The approver-to-be edits someone else's draft: then they are no
		// second person any more.
		b := f.draft(t, advisoryInput())
		if err := f.DB.UpdateAdvisory(ctx, b.ID, b.Version, advisoryInput(), f.Approver.Actor("")); err != nil {
			t.Fatal(err)
		}
		b = f.fresh(t, b.ID)
		if err := f.DB.SubmitAdvisory(ctx, b.ID, b.Version, f.Actor); err != nil {
			t.Fatal(err)
		}
		b = f.fresh(t, b.ID)
		if _, err := f.DB.ApproveAdvisory(ctx, b.ID, b.Version, f.Approver.Actor("")); db.ErrorCode(err) != db.EFORBIDDEN {
			t.Fatalf("the last editor approves: %v, want forbidden", err)
		}
	})
	t.Run("ErrStaleVersion", func(t *testing.T) {
		_, err := f.DB.ApproveAdvisory(ctx, a.ID, a.Version-1, f.Approver.Actor(""))
		if db.ErrorCode(err) != db.ECONFLICT {
			t.Fatalf("stale approve: %v, want conflict", err)
		}
	})
	st, err := f.DB.ApproveAdvisory(ctx, a.ID, a.Version, f.Approver.Actor(""))
	if err != nil || st != db.AdvisoryPublished {
		t.Fatalf("approve = %v, %v; want published at once (no moment given)", st, err)
	}
	a = f.fresh(t, a.ID)
	if a.Revision != 1 || len(a.Revisions) != 1 || !a.PublishedAt.Equal(f.now) || a.Approver != "anna@example.org" {
		t.Errorf("published = %+v", a)
	}
	// A revision is numbered and says what changed; a withdrawal is the last.
	in := advisoryInput()
	in.Products[0].Fixed = "2.4.2"
	f.advance(time.Hour)
	if err := f.DB.ReviseAdvisory(ctx, a.ID, a.Version, in, "", f.Actor); db.ErrorFields(err)["change"] == "" {
		t.Errorf("revision without a summary: %v", err)
	}
	if err := f.DB.ReviseAdvisory(ctx, a.ID, a.Version, in, "The fix is in 2.4.2.", f.Actor); err != nil {
		t.Fatal(err)
	}
	a = f.fresh(t, a.ID)
	if a.State != db.AdvisoryUpdated || a.Revision != 2 || a.Revisions[1].Summary != "The fix is in 2.4.2." || a.Products[0].Fixed != "2.4.2" {
		t.Errorf("revised = %+v", a)
	}
	if a.Credits[0].Name != "alice" {
		t.Errorf("a revision dropped the reporter's credit: %+v", a.Credits)
	}
	if err := f.DB.WithdrawAdvisory(ctx, a.ID, a.Version, "Duplicate of DEFAULT-SA-2025-009.", f.Actor); err != nil {
		t.Fatal(err)
	}
	a = f.fresh(t, a.ID)
	if a.State != db.AdvisoryWithdrawn || a.Revision != 3 {
		t.Errorf("withdrawn = %+v", a)
	}
	if _, err := f.DB.PublicAdvisory(ctx, f.Default.ID, a.Ident); err != nil {
		t.Errorf("a withdrawn advisory stays readable: %v", err)
	}
	entries, err := f.DB.ListAudit(ctx, db.AuditFilter{Action: "advisory.", Target: a.Ident, Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries.Entries) != 6 { // create, submit, approve, publish, revise, withdraw
		t.Errorf("audit rows = %d, want 6", len(entries.Entries))
	}
}

// TestAdvisoryEmbargo: an approved advisory with a moment is public at
// that moment and not a second before, whoever asks, and goes out by
// itself after a restart when the moment passed while the portal was down.
func TestAdvisoryEmbargo(t *testing.T) {
	ctx := context.Background()
	f := newAdvisoryFixture(t)
	in := advisoryInput()
	in.PublishAt = f.now.Add(48 * time.Hour)
	a := f.draft(t, in)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(f.DB.SubmitAdvisory(ctx, a.ID, a.Version, f.Actor))
	a = f.fresh(t, a.ID)
	st, err := f.DB.ApproveAdvisory(ctx, a.ID, a.Version, f.Approver.Actor(""))
	if err != nil || st != db.AdvisoryScheduled {
		t.Fatalf("approve = %v, %v; want scheduled", st, err)
	}
	next, ok, err := f.DB.NextAdvisoryDue(ctx)
	if err != nil || !ok || !next.Equal(in.PublishAt) {
		t.Errorf("next due = %v %v %v", next, ok, err)
	}
	f.advance(48*time.Hour - time.Second)
	if n, err := f.DB.PublishDue(ctx); err != nil || n != 0 {
		t.Fatalf("a second early: published %d, %v", n, err)
	}
	if _, err := f.DB.PublicAdvisory(ctx, f.Default.ID, a.Ident); db.ErrorCode(err) != db.ENOTFOUND {
		t.Errorf("public before the moment: %v", err)
	}
	if list, _ := f.DB.PublicAdvisories(ctx, f.Default.ID, 0); len(list) != 0 {
		t.Errorf("listed before the moment: %d", len(list))
	}
	// The portal restarts: the state is in the file.
	path := f.DB.Path
	must(f.DB.Close())
	d, err := db.Open(ctx, path)
	must(err)
	t.Cleanup(func() { d.Close() })
	d.Now = func() time.Time { return f.now.Add(time.Hour) }
	n, err := d.PublishDue(ctx)
	if err != nil || n != 1 {
		t.Fatalf("after the moment: published %d, %v", n, err)
	}
	p, err := d.PublicAdvisory(ctx, f.Default.ID, a.Ident)
	must(err)
	if !p.PublishedAt.Equal(in.PublishAt) || p.Revision != 1 {
		t.Errorf("published at %v rev %d, want %v rev 1", p.PublishedAt, p.Revision, in.PublishAt)
	}
	if _, ok, _ := d.NextAdvisoryDue(ctx); ok {
		t.Error("something still waits")
	}
	if n, _ := d.PublishDue(ctx); n != 0 {
		t.Errorf("published again: %d", n)
	}
}

func TestReporterCredit(t *testing.T) {
	ctx := context.Background()
	f := newAdvisoryFixture(t)
	a := f.draft(t, advisoryInput())
	credits, err := f.DB.ReportCredits(ctx, f.Report.ID)
	if err != nil || len(credits) != 1 || !credits[0].Editable || credits[0].Ident != a.Ident {
		t.Fatalf("report credits = %+v, %v", credits, err)
	}
	c := credits[0]
	t.Run("ErrOtherReport", func(t *testing.T) {
		other := f.report(t, f.P1.ID, "Other", "x")
		if err := f.DB.SetReporterCredit(ctx, other.ID, c.ID, "Mallory", false); db.ErrorCode(err) != db.ENOTFOUND {
			t.Errorf("another report's credit: %v, want not found", err)
		}
	})
	if err := f.DB.SetReporterCredit(ctx, f.Report.ID, c.ID, "Alice Liddell", false); err != nil {
		t.Fatal(err)
	}
	if got := f.fresh(t, a.ID).Credits[0]; got.Name != "Alice Liddell" || got.Declined {
		t.Errorf("changed credit = %+v", got)
	}
	if err := f.DB.SetReporterCredit(ctx, f.Report.ID, c.ID, "ignored", true); err != nil {
		t.Fatal(err)
	}
	got := f.fresh(t, a.ID)
	if len(got.PublicCredits()) != 1 || got.PublicCredits()[0].Name != "Tina (Acme)" {
		t.Errorf("declined credit still public: %+v", got.PublicCredits())
	}
	// After publication the credit is the team's to change.
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(f.DB.SetReporterCredit(ctx, f.Report.ID, c.ID, "Alice", false))
	got = f.fresh(t, a.ID)
	in := advisoryInput()
	in.PublishAt = f.now.Add(time.Hour)
	must(f.DB.UpdateAdvisory(ctx, a.ID, got.Version, in, f.Actor))
	got = f.fresh(t, a.ID)
	must(f.DB.SubmitAdvisory(ctx, a.ID, got.Version, f.Actor))
	got = f.fresh(t, a.ID)
	_, err = f.DB.ApproveAdvisory(ctx, a.ID, got.Version, f.Approver.Actor(""))
	must(err)
	// Approved: a new name would go out unreviewed; anonymity stays open.
	if err := f.DB.SetReporterCredit(ctx, f.Report.ID, c.ID, "Buy pills at spam.example", false); db.ErrorCode(err) != db.ECONFLICT {
		t.Errorf("rename after approval: %v, want conflict", err)
	}
	if rc, _ := f.DB.ReportCredits(ctx, f.Report.ID); rc[0].Renamable || !rc[0].Editable {
		t.Errorf("after approval: %+v", rc[0])
	}
	must(f.DB.SetReporterCredit(ctx, f.Report.ID, c.ID, "", true))
	f.advance(time.Hour)
	_, err = f.DB.PublishDue(ctx)
	must(err)
	if err := f.DB.SetReporterCredit(ctx, f.Report.ID, c.ID, "Alice", false); db.ErrorCode(err) != db.ECONFLICT {
		t.Errorf("change after publication: %v, want conflict", err)
	}
	acks, err := f.DB.Acknowledgements(ctx, f.Default.ID)
	must(err)
	if len(acks) != 1 || acks[0].Name != "Tina (Acme)" {
		t.Errorf("acknowledgements = %+v", acks)
	}
}
