package db

import (
	"context"
	"testing"
)

// TestTimelineHidesInternalNotes checks the rule the status page stands on:
// an internal note, and an attachment on it, never reach the public view.
func TestTimelineHidesInternalNotes(t *testing.T) {
	ctx := context.Background()
	d := openInternal(t)
	p, _ := d.DefaultProgram(ctx)
	rc, err := d.CreateReport(ctx, &NewReport{ProgramID: p.ID, Source: SourceWeb, Title: "t", Description: "d"})
	if err != nil {
		t.Fatal(err)
	}
	var noteID int64
	if err := d.Update(ctx, func(ctx context.Context, tx *Tx) error {
		var err error
		noteID, err = tx.addMessage(ctx, &NewMessage{ReportID: rc.ReportID, Kind: KindNote, Public: true, Body: "internal: looks like a dup of SEC-3",
			Attachments: []NewAttachment{{Filename: "internal.txt", Data: []byte("secret")}}})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	public, _ := d.Timeline(ctx, rc.ReportID, true)
	for _, m := range public {
		if m.ID == noteID || m.Kind == KindNote {
			t.Fatal("an internal note is on the public timeline")
		}
	}
	all, _ := d.Timeline(ctx, rc.ReportID, false)
	if len(all) != len(public)+1 {
		t.Fatalf("staff timeline has %d entries, want %d", len(all), len(public)+1)
	}
	a := all[len(all)-1].Attachments[0]
	if _, _, err := d.AttachmentOf(ctx, rc.ReportID, a.ID, true); ErrorCode(err) != ENOTFOUND {
		t.Fatalf("a note's attachment is downloadable publicly: %v", err)
	}
}

// TestNewReportDueMatchesView: the deadline createReport writes with the
// insert equals what the deadline view computes, for programs whose first
// clock is each of the three that run on a new report.
func TestNewReportDueMatchesView(t *testing.T) {
	ctx := context.Background()
	d := openInternal(t)
	p, _ := d.DefaultProgram(ctx)
	for _, days := range [][3]int{{3, 10, 90}, {30, 2, 90}, {30, 20, 1}, {1, 1, 1}, {365, 400, 500}} {
		if _, err := d.write.ExecContext(ctx, `UPDATE programs SET first_response_days = ?, triage_days = ?, disclosure_days = ? WHERE id = ?`,
			days[0], days[1], days[2], p.ID); err != nil {
			t.Fatal(err)
		}
		rc, err := d.CreateReport(ctx, &NewReport{ProgramID: p.ID, Source: SourceWeb, Title: "t", Description: "d"})
		if err != nil {
			t.Fatal(err)
		}
		var got, want struct {
			at, warn int64
			kind     string
		}
		if err := d.read.QueryRowContext(ctx, `SELECT due_at, due_kind, due_warn_at FROM reports WHERE id = ?`, rc.ReportID).Scan(&got.at, &got.kind, &got.warn); err != nil {
			t.Fatal(err)
		}
		if err := d.read.QueryRowContext(ctx, `SELECT due_at, kind, warn_at FROM report_next_deadline WHERE id = ?`, rc.ReportID).Scan(&want.at, &want.kind, &want.warn); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("targets %v: stored %+v, view says %+v", days, got, want)
		}
	}
}

// TestAnonymisedReportTakesNoMessages: once retention removed a report's
// content, neither the status page nor mail can add text to it again.
func TestAnonymisedReportTakesNoMessages(t *testing.T) {
	ctx := context.Background()
	d := openInternal(t)
	p, _ := d.DefaultProgram(ctx)
	rc, err := d.CreateReport(ctx, &NewReport{ProgramID: p.ID, Source: SourceWeb, Title: "t", Description: "d"})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Update(ctx, func(ctx context.Context, tx *Tx) error { return tx.anonymiseReport(ctx, rc.ReportID) }); err != nil {
		t.Fatal(err)
	}
	err = d.AddReporterMessage(ctx, rc.ReportID, "new secret text", nil, SourceWeb, DefaultLimits)
	if ErrorCode(err) != ECONFLICT {
		t.Fatalf("err=%v, want a conflict", err)
	}
	tl, _ := d.Timeline(ctx, rc.ReportID, false)
	for _, m := range tl {
		if m.Body == "new secret text" {
			t.Fatal("text was added to an anonymised report")
		}
	}
}
