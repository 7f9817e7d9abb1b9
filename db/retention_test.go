package db_test

import (
	"context"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
)

func mustSubmit(t *testing.T, d *db.DB, programID int64, title string) *db.Receipt {
	t.Helper()
	in := validReport(programID)
	in.Title = title
	rc, err := d.CreateReport(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return rc
}

func mustMove(t *testing.T, d *db.DB, id int64, path ...db.State) {
	t.Helper()
	for i := 1; i < len(path); i++ {
		if err := d.SetStateForTest(context.Background(), id, path[i-1], path[i]); err != nil {
			t.Fatal(err)
		}
	}
}

func attachmentCount(t *testing.T, d *db.DB, id int64) int {
	t.Helper()
	tl, err := d.Timeline(context.Background(), id, false)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range tl {
		n += len(m.Attachments)
	}
	return n
}

func TestPurge(t *testing.T) {
	ctx := context.Background()
	d := MustOpenDB(t)
	clk := &clock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	d.Now = clk.Now
	p, _ := d.DefaultProgram(ctx)
	if err := d.SetRetentionRule(ctx, &db.RetentionRule{ProgramID: p.ID, AttachmentsDays: 30, AnonymiseDays: 365, SpamDeleteDays: 7}, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	closed := mustSubmit(t, d, p.ID, "Closed report")
	spam := mustSubmit(t, d, p.ID, "Buy cheap pills")
	held := mustSubmit(t, d, p.ID, "Held report")
	open := mustSubmit(t, d, p.ID, "Open report")
	if err := d.AddReporterMessage(ctx, closed.ReportID, "followup-marker text", nil, db.SourceWeb, db.DefaultLimits); err != nil {
		t.Fatal(err)
	}
	mustMove(t, d, closed.ReportID, db.StateNew, db.StateInformative)
	mustMove(t, d, spam.ReportID, db.StateNew, db.StateSpam)
	mustMove(t, d, held.ReportID, db.StateNew, db.StateWontFix)
	if err := d.SetLegalHold(ctx, held.ReportID, true, db.ActorSystem, "litigation 2026-17"); err != nil {
		t.Fatal(err)
	}
	before, _ := d.ReportByID(ctx, closed.ReportID)

	t.Run("NothingDueYet", func(t *testing.T) {
		clk.Advance(6 * day)
		res, err := d.Purge(ctx, false, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := res.Due, 0; got != want {
			t.Fatalf("due=%d, want %d", got, want)
		}
	})
	t.Run("SpamDeleted", func(t *testing.T) {
		clk.Advance(2 * day)
		res, err := d.Purge(ctx, false, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := res.Done[db.DisposeDelete], 1; got != want {
			t.Fatalf("deleted=%d, want %d", got, want)
		}
		if _, err := d.ReportByID(ctx, spam.ReportID); db.ErrorCode(err) != db.ENOTFOUND {
			t.Fatalf("spam report still there: %v", err)
		}
		if ids, _ := d.SearchReports(ctx, "pills", 10); len(ids) != 0 {
			t.Fatalf("deleted spam still in the search index: %v", ids)
		}
	})
	t.Run("AttachmentsDeleted", func(t *testing.T) {
		clk.Advance(30 * day)
		var seen []string
		res, err := d.Purge(ctx, false, func(dp db.Disposal, done bool, err error) { seen = append(seen, dp.Ref+" "+string(dp.Action)) })
		if err != nil {
			t.Fatal(err)
		}
		if got, want := res.Done[db.DisposeAttachments], 1; got != want {
			t.Fatalf("attachment disposals=%d (%v), want %d", got, seen, want)
		}
		if got := attachmentCount(t, d, closed.ReportID); got != 0 {
			t.Fatalf("closed report keeps %d attachments", got)
		}
		if got := attachmentCount(t, d, held.ReportID); got != 1 {
			t.Fatalf("report on legal hold has %d attachments, want 1", got)
		}
		if got := attachmentCount(t, d, open.ReportID); got != 1 {
			t.Fatalf("open report has %d attachments, want 1", got)
		}
	})
	t.Run("DryRunWritesNothing", func(t *testing.T) {
		clk.Advance(400 * day)
		res, err := d.Purge(ctx, true, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := res.Done[db.DisposeAnonymise], 1; got != want {
			t.Fatalf("dry run would anonymise %d, want %d", got, want)
		}
		r, _ := d.ReportByID(ctx, closed.ReportID)
		if r.Title != "Closed report" {
			t.Fatalf("dry run changed the title to %q", r.Title)
		}
	})
	t.Run("Anonymised", func(t *testing.T) {
		res, err := d.Purge(ctx, false, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := res.Done[db.DisposeAnonymise], 1; got != want {
			t.Fatalf("anonymised=%d, want %d", got, want)
		}
		r, err := d.ReportByID(ctx, closed.ReportID)
		if err != nil {
			t.Fatal(err)
		}
		if r.Title != db.AnonymisedTitle || r.Description != "" || r.Steps != "" || r.Impact != "" || r.Asset != "" {
			t.Fatalf("text kept: %+v", r)
		}
		if r.Reporter.ID != 0 || r.Reporter.Email != "" {
			t.Fatalf("reporter kept: %+v", r.Reporter)
		}
		if r.State != before.State || r.Severity != before.Severity || !r.CreatedAt.Equal(before.CreatedAt) || r.ProgramID != before.ProgramID || r.CWE != before.CWE {
			t.Fatalf("statistics changed: got %s/%s/%v, want %s/%s/%v", r.State, r.Severity, r.CreatedAt, before.State, before.Severity, before.CreatedAt)
		}
		tl, _ := d.Timeline(ctx, r.ID, false)
		for _, m := range tl {
			if m.Body != "" {
				t.Fatalf("timeline body kept: %q", m.Body)
			}
		}
		if ids, _ := d.SearchReports(ctx, "escaping", 10); len(ids) != 2 {
			t.Fatalf("search finds %v, want only the 2 reports not anonymised", ids)
		}
		if _, err := d.ReportByReceipt(ctx, closed.Code); db.ErrorCode(err) != db.ENOTFOUND {
			t.Fatalf("receipt code still opens the anonymised report: %v", err)
		}
		h, _ := d.ReportByID(ctx, held.ReportID)
		if h.Title != "Held report" || h.Reporter.Email == "" {
			t.Fatal("report on legal hold was anonymised")
		}
	})
	t.Run("ReleasedHoldDisposes", func(t *testing.T) {
		if err := d.SetLegalHold(ctx, held.ReportID, false, db.ActorSystem, "case closed"); err != nil {
			t.Fatal(err)
		}
		res, err := d.Purge(ctx, false, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := res.Done[db.DisposeAnonymise], 1; got != want {
			t.Fatalf("anonymised=%d, want %d", got, want)
		}
		res, err = d.Purge(ctx, false, nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.Due != 0 {
			t.Fatalf("second run found %d due, want 0", res.Due)
		}
		o, _ := d.ReportByID(ctx, open.ReportID)
		if o.Title != "Open report" {
			t.Fatal("an open report was disposed of")
		}
	})
	t.Run("AuditRows", func(t *testing.T) {
		actions, err := d.AuditActions(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"retention.rule", "report.legal_hold", "retention.delete", "retention.delete_attachments", "retention.anonymise", "report.legal_hold_release"} {
			if actions[want] == 0 {
				t.Errorf("no audit row %q (have %v)", want, actions)
			}
		}
		if got, want := actions["retention.anonymise"], 2; got != want {
			t.Errorf("retention.anonymise rows=%d, want %d", got, want)
		}
		if bad, err := d.VerifyAudit(ctx); err != nil || bad != 0 {
			t.Fatalf("audit chain broken at %d: %v", bad, err)
		}
	})
}

func TestSetRetentionRule(t *testing.T) {
	ctx := context.Background()
	d := MustOpenDB(t)
	p, _ := d.DefaultProgram(ctx)
	t.Run("OK", func(t *testing.T) {
		if err := d.SetRetentionRule(ctx, &db.RetentionRule{ProgramID: p.ID, AnonymiseDays: 730}, db.ActorSystem); err != nil {
			t.Fatal(err)
		}
		rules, err := d.RetentionRules(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := rules[0].AnonymiseDays, 730; got != want {
			t.Fatalf("anonymise days=%d, want %d", got, want)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		err := d.SetRetentionRule(ctx, &db.RetentionRule{ProgramID: p.ID, SpamDeleteDays: -1}, db.ActorSystem)
		if db.ErrorCode(err) != db.EINVALID {
			t.Fatalf("err=%v, want invalid", err)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		err := d.SetRetentionRule(ctx, &db.RetentionRule{ProgramID: 999}, db.ActorSystem)
		if db.ErrorCode(err) != db.ENOTFOUND {
			t.Fatalf("err=%v, want not found", err)
		}
	})
}
