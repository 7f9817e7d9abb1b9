package db_test

import (
	"context"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin"
	"github.com/disclose/disclose/views/wording"
)

// TestPluralForms: what people read counts in words that agree with the
// count: "Attach at most 1 file", not "1 files".
func TestPluralForms(t *testing.T) {
	ctx := context.Background()
	d := MustOpenDB(t)
	clk := &clock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	d.Now = clk.Now
	p, _ := d.DefaultProgram(ctx)

	t.Run("Validation", func(t *testing.T) {
		in := validReport(p.ID)
		in.Description = "XY"
		in.Attachments = []db.NewAttachment{{Filename: "a.txt", Data: []byte("a")}, {Filename: "b.txt", Data: []byte("b")}}
		errs := in.Validate(db.Limits{MaxFiles: 1, MaxFileBytes: 1 << 20, MaxTextRunes: 1})
		for field, want := range map[string]string{"attachments": "Attach at most 1 file (you chose 2).",
			"description": "Keep this under 1 character (it has 2); attach longer material as a file."} {
			if got := wording.Say(errs[field]); got != want {
				t.Errorf("%s: %q, want %q", field, got, want)
			}
		}
		err := d.AddReporterMessage(ctx, 1, "XY", nil, db.SourceWeb, db.Limits{MaxFiles: 1, MaxFileBytes: 1 << 20, MaxTextRunes: 1})
		if db.ErrorFields(err)["body"] != "Keep the message under 1 character (it has 2); attach longer material as a file." {
			t.Errorf("status-page message: %v", err)
		}
	})
	t.Run("RetentionAudit", func(t *testing.T) {
		if err := d.SetRetentionRule(ctx, &db.RetentionRule{ProgramID: p.ID, AttachmentsDays: 1}, db.ActorSystem); err != nil {
			t.Fatal(err)
		}
		res, err := mailin.IngestMail(ctx, d, mailWithFile(1, "", "<f1@example.net>", "one file"), mailin.IngestOptions{})
		if err != nil {
			t.Fatal(err)
		}
		mustMove(t, d, res.ReportID, db.StateNew, db.StateInformative)
		clk.Advance(2 * day)
		if _, err := d.Purge(ctx, false, nil); err != nil {
			t.Fatal(err)
		}
		page, err := d.ListAudit(ctx, db.AuditFilter{Action: "retention." + string(db.DisposeAttachments)})
		if err != nil || len(page.Entries) != 1 {
			t.Fatalf("audit %v, %v", page, err)
		}
		if got, want := page.Entries[0].Detail, "1 attachment, 1 raw mail; finished more than 1 day ago"; got != want {
			t.Errorf("audit detail %q, want %q", got, want)
		}
	})
}
