package db_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"io"
	"os"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin"
)

// mailWithFile is a mail that opens a report with a file, the file's bytes
// base64-encoded in the raw mail as a mail client sends them.
func mailWithFile(uid uint32, extraHeader, msgID, marker string) *db.InboundMail {
	body := "See the attached proof."
	raw := extraHeader + "From: r@example.net\r\nSubject: Bug\r\nMessage-ID: " + msgID + "\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n" + body + "\r\n--b\r\n" +
		"Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=p.bin\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n" + base64.StdEncoding.EncodeToString([]byte(marker)) + "\r\n--b--\r\n"
	sum := sha256.Sum256([]byte(raw))
	return &db.InboundMail{Mailbox: "INBOX", UIDValidity: 7, UID: uid, OpenRaw: func() io.Reader { return bytes.NewReader([]byte(raw)) },
		RawSize: int64(len(raw)), RawSHA256: hex.EncodeToString(sum[:]), MessageID: msgID, FromEmail: "r@example.net", Subject: "Bug",
		Body: body, Files: []db.NewAttachment{{Filename: "p.bin", ContentType: "application/octet-stream", Data: []byte(marker)}}}
}

// TestPurgeAttachmentsTakesRawMail: the attachments rule promises the files
// are gone, but a mailed report keeps them a second time in its raw mail,
// which stayed downloadable with every file in it.
func TestPurgeAttachmentsTakesRawMail(t *testing.T) {
	ctx := context.Background()
	d := MustOpenDB(t)
	clk := &clock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	d.Now = clk.Now
	p, _ := d.DefaultProgram(ctx)
	if err := d.SetRetentionRule(ctx, &db.RetentionRule{ProgramID: p.ID, AttachmentsDays: 30}, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	const marker = "kookaburraproofxq"
	res, err := mailin.IngestMail(ctx, d, mailWithFile(1, "", "<f1@example.net>", marker), mailin.IngestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mustMove(t, d, res.ReportID, db.StateNew, db.StateInformative)
	clk.Advance(40 * day)
	out, err := d.Purge(ctx, false, nil)
	if err != nil || out.Done[db.DisposeAttachments] != 1 {
		t.Fatalf("purge = %+v, %v; want the attachments disposed of", out, err)
	}
	if n := attachmentCount(t, d, res.ReportID); n != 0 {
		t.Errorf("%d attachments left", n)
	}
	if raw, err := d.RawMailEntries(ctx, res.ReportID); err != nil || len(raw) != 0 {
		t.Errorf("raw mail still offered for download: %v, %v", raw, err)
	}
	r, err := d.ReportByID(ctx, res.ReportID)
	if err != nil || r.Reporter.Email != "r@example.net" {
		t.Errorf("the attachments rule took more than the files: %+v, %v", r, err)
	}
	for _, f := range []string{marker, base64.StdEncoding.EncodeToString([]byte(marker))[:20]} {
		if fileHas(t, d, f) {
			t.Errorf("%q is still in the database file or its WAL", f)
		}
	}
}

// TestPurgedMailStaysGone: retention deletes the raw mail of a spam report,
// and the same mail fetched again (a new UIDVALIDITY makes intake read the
// whole mailbox again) must not bring the report back: the same bytes are
// known as taken, and another copy with the same Message-ID is only kept
// aside as a duplicate.
func TestPurgedMailStaysGone(t *testing.T) {
	ctx := context.Background()
	d := MustOpenDB(t)
	clk := &clock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	d.Now = clk.Now
	p, _ := d.DefaultProgram(ctx)
	if err := d.SetRetentionRule(ctx, &db.RetentionRule{ProgramID: p.ID, SpamDeleteDays: 7}, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	first := mailWithFile(1, "", "<spam1@example.net>", "cheap pills")
	res, err := mailin.IngestMail(ctx, d, first, mailin.IngestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mustMove(t, d, res.ReportID, db.StateNew, db.StateSpam)
	clk.Advance(10 * day)
	if out, err := d.Purge(ctx, false, nil); err != nil || out.Done[db.DisposeDelete] != 1 {
		t.Fatalf("purge = %+v, %v", out, err)
	}
	// The database keeps no clear trace of the mail it forgot.
	if fileHas(t, d, "spam1@example.net") || fileHas(t, d, first.RawSHA256) {
		t.Error("the deleted mail's Message-ID or digest is in the database")
	}
	if _, err := d.SyncMailbox(ctx, "INBOX", 8); err != nil {
		t.Fatal(err)
	}
	again, err := mailin.IngestMail(ctx, d, first, mailin.IngestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !again.Again || again.ReportID != 0 {
		t.Errorf("the same mail again became %+v, want it known as taken", again)
	}
	copyOf, err := mailin.IngestMail(ctx, d, mailWithFile(2, "Received: by relay\r\n", "<spam1@example.net>", "cheap pills"), mailin.IngestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if copyOf.Kind != db.MailDuplicate || copyOf.ReportID != 0 {
		t.Errorf("a copy with the same Message-ID became %+v, want a duplicate", copyOf)
	}
	if n, _ := d.CountReports(ctx); n != 0 {
		t.Errorf("%d reports after the deleted one's mail came again", n)
	}
}

// TestPurgeDropsSealedIndex: the words of a sealed report live, while the
// key is unlocked, in an in-memory index; after anonymisation a search for
// them still found the report.
func TestPurgeDropsSealedIndex(t *testing.T) {
	ctx := context.Background()
	d := MustOpenDB(t)
	clk := &clock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	d.Now = clk.Now
	p, _ := d.DefaultProgram(ctx)
	key := newTeamKey(t)
	if err := key.Unlock([]byte(sealPassphrase)); err != nil {
		t.Fatal(err)
	}
	d.SetSealer(key, true)
	in := validReport(p.ID)
	in.Title = "Platypus overflow in upload"
	rc, err := d.CreateReport(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	d.StartSealedIndex()
	if st, err := d.WaitSealedIndex(ctx); err != nil || st.State != db.SealedIndexReady {
		t.Fatalf("sealed index: %+v, %v", st, err)
	}
	if got := queueRefs(t, d, "platypus"); len(got) != 1 {
		t.Fatalf("search before the purge = %v, want the sealed report", got)
	}
	if err := d.SetRetentionRule(ctx, &db.RetentionRule{ProgramID: p.ID, AnonymiseDays: 30}, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	mustMove(t, d, rc.ReportID, db.StateNew, db.StateInformative)
	clk.Advance(40 * day)
	if out, err := d.Purge(ctx, false, nil); err != nil || out.Done[db.DisposeAnonymise] != 1 {
		t.Fatalf("purge = %+v, %v", out, err)
	}
	if got := queueRefs(t, d, "platypus"); len(got) != 0 {
		t.Errorf("search after anonymisation still finds %v by its old words", got)
	}
}

// TestPurgeClearsWAL: after disposing, Purge empties the write-ahead log,
// which held the pages from before; a reader that holds the log (as
// Litestream does) is not waited for long, and the result says the log was
// kept.
func TestPurgeClearsWAL(t *testing.T) {
	ctx := context.Background()
	for _, held := range []bool{false, true} {
		name := map[bool]string{false: "OK", true: "ReaderHoldsLog"}[held]
		t.Run(name, func(t *testing.T) {
			d := MustOpenDB(t)
			clk := &clock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
			d.Now = clk.Now
			p, _ := d.DefaultProgram(ctx)
			if err := d.SetRetentionRule(ctx, &db.RetentionRule{ProgramID: p.ID, SpamDeleteDays: 7}, db.ActorSystem); err != nil {
				t.Fatal(err)
			}
			in := validReport(p.ID)
			in.Description = "Buy wallabypills now"
			rc, err := d.CreateReport(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			mustMove(t, d, rc.ReportID, db.StateNew, db.StateSpam)
			clk.Advance(10 * day)
			if held {
				// A read transaction on its own connection, open across the purge.
				r, err := sql.Open("sqlite3", "file:"+d.Path+"?mode=ro&_busy_timeout=5000")
				if err != nil {
					t.Fatal(err)
				}
				defer r.Close()
				tx, err := r.Begin()
				if err != nil {
					t.Fatal(err)
				}
				defer tx.Rollback()
				var n int
				if err := tx.QueryRow(`SELECT COUNT(*) FROM reports`).Scan(&n); err != nil {
					t.Fatal(err)
				}
			}
			start := time.Now()
			out, err := d.Purge(ctx, false, nil)
			if err != nil || out.Done[db.DisposeDelete] != 1 {
				t.Fatalf("purge = %+v, %v", out, err)
			}
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("purge took %s with a reader on the log", took)
			}
			if out.WALKept != held {
				t.Errorf("WALKept = %t, want %t", out.WALKept, held)
			}
			st, err := os.Stat(d.Path + "-wal")
			if err != nil {
				t.Fatal(err)
			}
			if !held && st.Size() != 0 {
				t.Errorf("the WAL holds %d bytes after the purge", st.Size())
			}
			if !held && fileHas(t, d, "wallabypills") {
				t.Error("the deleted text is still in the database file or its WAL")
			}
		})
	}
}
