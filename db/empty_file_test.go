package db_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"testing"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin"
)

// TestEmptyFiles: a file of zero bytes is kept as an empty file, whichever
// way it comes (a mail, the web form, a status-page reply, a staff reply),
// sealed or not, and downloads as zero bytes. A mail with one failed with
// "NOT NULL constraint failed: attachment_data.data" and never became a
// report.
func TestEmptyFiles(t *testing.T) {
	ctx := context.Background()
	empty := func() []db.NewAttachment {
		// nil Data, as a parser hands over a part with no bytes.
		return []db.NewAttachment{{Filename: "empty.txt", ContentType: "text/plain"}}
	}
	// checkEmpty asserts that the report has the empty file and that it
	// reads back as zero bytes.
	checkEmpty := func(t *testing.T, d *db.DB, reportID int64) {
		t.Helper()
		tl, err := d.Timeline(ctx, reportID, false)
		if err != nil {
			t.Fatal(err)
		}
		found := 0
		for _, m := range tl {
			for _, a := range m.Attachments {
				if a.Filename != "empty.txt" {
					continue
				}
				found++
				if want := hex.EncodeToString(sha256.New().Sum(nil)); a.Size != 0 || a.SHA256 != want {
					t.Errorf("size %d sha256 %s, want 0 and %s", a.Size, a.SHA256, want)
				}
				_, data, err := d.AttachmentOf(ctx, reportID, a.ID, false)
				if err != nil || len(data) != 0 {
					t.Errorf("download: %d bytes, %v", len(data), err)
				}
			}
		}
		if found == 0 {
			t.Fatal("the empty file is not on the timeline")
		}
	}
	mail := func(t *testing.T, d *db.DB) int64 {
		t.Helper()
		raw := []byte("Message-ID: <empty@example.net>\r\nSubject: Empty\r\n\r\nsee the file\r\n")
		sum := sha256.Sum256(raw)
		res, err := mailin.IngestMail(ctx, d, &db.InboundMail{Mailbox: "INBOX", UIDValidity: 1, UID: 1, OpenRaw: func() io.Reader { return bytes.NewReader(raw) },
			RawSize: int64(len(raw)), RawSHA256: hex.EncodeToString(sum[:]), MessageID: "<empty@example.net>", FromEmail: "r@example.net",
			To: []string{"security@example.org"}, Subject: "Empty", Body: "See the file.", Files: empty()}, mailin.IngestOptions{})
		if err != nil {
			t.Fatalf("ingest: %v", err)
		}
		r, err := d.ReportByRef(ctx, res.Ref)
		if err != nil {
			t.Fatal(err)
		}
		return r.ID
	}
	web := func(t *testing.T, d *db.DB) int64 {
		t.Helper()
		p, _ := d.DefaultProgram(ctx)
		in := validReport(p.ID)
		in.Attachments = empty()
		rc, err := d.CreateReport(ctx, in)
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		return rc.ReportID
	}
	t.Run("Mail", func(t *testing.T) {
		d := MustOpenDB(t)
		checkEmpty(t, d, mail(t, d))
	})
	t.Run("WebForm", func(t *testing.T) {
		d := MustOpenDB(t)
		checkEmpty(t, d, web(t, d))
	})
	t.Run("StatusReply", func(t *testing.T) {
		d := MustOpenDB(t)
		p, _ := d.DefaultProgram(ctx)
		rc, err := d.CreateReport(ctx, validReport(p.ID))
		if err != nil {
			t.Fatal(err)
		}
		if err := d.AddReporterMessage(ctx, rc.ReportID, "", empty(), db.SourceWeb, db.DefaultLimits); err != nil {
			t.Fatalf("reply: %v", err)
		}
		checkEmpty(t, d, rc.ReportID)
	})
	t.Run("StaffReply", func(t *testing.T) {
		d := MustOpenDB(t)
		p, _ := d.DefaultProgram(ctx)
		rc, err := d.CreateReport(ctx, validReport(p.ID))
		if err != nil {
			t.Fatal(err)
		}
		if err := d.ReplyForTest(ctx, rc.ReportID, "Here is an empty file.", empty(), db.ActorSystem); err != nil {
			t.Fatalf("reply: %v", err)
		}
		checkEmpty(t, d, rc.ReportID)
	})
	t.Run("Sealed", func(t *testing.T) {
		d := MustOpenDB(t)
		key := newTeamKey(t)
		d.SetSealer(key, true)
		webID, mailID := web(t, d), mail(t, d)
		checkEmpty(t, d, webID)
		checkEmpty(t, d, mailID)
		if err := d.UnsealExisting(ctx, nil); err != nil {
			t.Fatalf("unseal: %v", err)
		}
		checkEmpty(t, d, webID)
		checkEmpty(t, d, mailID)
	})
}
