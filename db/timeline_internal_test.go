package db

import (
	"context"
	"path/filepath"
	"testing"
)

// TestTimelineHidesInternalNotes checks the rule the status page stands on:
// an internal note, and an attachment on it, never reach the public view.
func TestTimelineHidesInternalNotes(t *testing.T) {
	ctx := context.Background()
	d, err := Open(ctx, filepath.Join(t.TempDir(), "d.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	p, _ := d.DefaultProgram(ctx)
	rc, err := d.CreateReport(ctx, &NewReport{ProgramID: p.ID, Source: SourceWeb, Title: "t", Description: "d"})
	if err != nil {
		t.Fatal(err)
	}
	tx, _ := d.BeginTx(ctx)
	noteID, err := tx.addMessage(ctx, &NewMessage{ReportID: rc.ReportID, Kind: KindNote, Public: true, Body: "internal: looks like a dup of SEC-3",
		Attachments: []NewAttachment{{Filename: "internal.txt", Data: []byte("secret")}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
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
