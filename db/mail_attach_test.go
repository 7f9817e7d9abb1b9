package db_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"testing"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin"
)

// spooledMail is a mail with three files, the middle one spooled (as the
// gateway hands over attachments over 1 MB): big enough for several chunks.
func spooledMail(uid uint32, msgID, inReplyTo string, big []byte) *db.InboundMail {
	raw := []byte(fmt.Sprintf("Message-ID: %s\r\nSubject: Core dump\r\n\r\nsee files %d\r\n", msgID, uid))
	sum := sha256.Sum256(raw)
	bigSum := sha256.Sum256(big)
	in := &db.InboundMail{Mailbox: "INBOX", UIDValidity: 1, UID: uid, OpenRaw: func() io.Reader { return bytes.NewReader(raw) },
		RawSize: int64(len(raw)), RawSHA256: hex.EncodeToString(sum[:]), MessageID: msgID, FromEmail: "r@example.net",
		To: []string{"security@example.org"}, Subject: "Core dump", Body: "See the files.",
		Files: []db.NewAttachment{{Filename: "a.txt", ContentType: "text/plain", Data: []byte("first")},
			{Filename: "core.bin", ContentType: "application/octet-stream"},
			{Filename: "c.txt", ContentType: "text/plain", Data: []byte("third")}},
		Spooled: []*db.SpooledFile{nil, {Size: int64(len(big)), SHA256: hex.EncodeToString(bigSum[:]), Open: func() io.Reader { return bytes.NewReader(big) }}, nil},
	}
	if inReplyTo != "" {
		in.InReplyTo = []string{inReplyTo}
	}
	return in
}

func randomBytes(n int, marker string) []byte {
	b := make([]byte, n)
	rand.Read(b)
	for _, at := range []int{n / 3, n / 2, n - 1000} { // markers inside chunks (one may straddle a page)
		copy(b[at:], marker)
	}
	return b
}

// checkFiles asserts the files of entry i of a report, in order, with
// their bytes.
func checkFiles(t *testing.T, d *db.DB, reportID int64, big []byte) {
	t.Helper()
	tl, err := d.Timeline(context.Background(), reportID, false)
	if err != nil {
		t.Fatal(err)
	}
	var atts []*db.Attachment
	for _, m := range tl {
		atts = append(atts, m.Attachments...)
	}
	if len(atts) < 3 {
		t.Fatalf("got %d attachments, want 3", len(atts))
	}
	atts = atts[len(atts)-3:]
	want := [][]byte{[]byte("first"), big, []byte("third")}
	for i, name := range []string{"a.txt", "core.bin", "c.txt"} {
		a := atts[i]
		sum := sha256.Sum256(want[i])
		if a.Filename != name || a.Size != int64(len(want[i])) || a.SHA256 != hex.EncodeToString(sum[:]) {
			t.Fatalf("attachment %d = %s %d bytes, want %s %d bytes", i, a.Filename, a.Size, name, len(want[i]))
		}
		_, data, err := d.AttachmentOf(context.Background(), reportID, a.ID, false)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(data, want[i]) {
			t.Fatalf("%s: the bytes read back differ (%d bytes, want %d)", name, len(data), len(want[i]))
		}
	}
}

// TestIngestMailSpooled: a large mailed attachment is stored from the
// gateway's spool in chunks, in its place among the mail's files, and reads
// back whole; in sealed mode it is sealed like any other file.
func TestIngestMailSpooled(t *testing.T) {
	ctx := context.Background()
	const marker = "qzmarkerspooled"
	big := randomBytes(700<<10, marker) // three chunks
	t.Run("OK", func(t *testing.T) {
		d := MustOpenDB(t)
		res, err := mailin.IngestMail(ctx, d, spooledMail(1, "<big-1@example.net>", "", big), mailin.IngestOptions{})
		if err != nil {
			t.Fatal(err)
		}
		checkFiles(t, d, res.ReportID, big)
		t.Run("Reply", func(t *testing.T) {
			rep, err := mailin.IngestMail(ctx, d, spooledMail(2, "<big-2@example.net>", "<big-1@example.net>", big), mailin.IngestOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Kind != db.MailReply || rep.ReportID != res.ReportID {
				t.Fatalf("got %s on report %d, want a reply on %d", rep.Kind, rep.ReportID, res.ReportID)
			}
			checkFiles(t, d, res.ReportID, big)
		})
		t.Run("SealExisting", func(t *testing.T) {
			if !fileHas(t, d, marker) {
				t.Fatal("the plaintext database does not hold the marker: the check below could not fail")
			}
			key := newTeamKey(t)
			d.SetSealer(key, true)
			if err := d.SealExisting(ctx, nil); err != nil {
				t.Fatal(err)
			}
			if fileHas(t, d, marker) {
				t.Fatal("the spooled file's plaintext is left in the database after seal")
			}
			checkFiles(t, d, res.ReportID, big)
			if err := d.UnsealExisting(ctx, nil); err != nil {
				t.Fatal(err)
			}
			checkFiles(t, d, res.ReportID, big)
		})
	})
	t.Run("Sealed", func(t *testing.T) {
		d := MustOpenDB(t)
		key := newTeamKey(t)
		d.SetSealer(key, true)
		res, err := mailin.IngestMail(ctx, d, spooledMail(1, "<big-1@example.net>", "", big), mailin.IngestOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if fileHas(t, d, marker) {
			t.Fatal("sealed mode stored the spooled file in the clear")
		}
		checkFiles(t, d, res.ReportID, big)
	})
	t.Run("DeleteCascades", func(t *testing.T) {
		// Retention deletes attachment rows; the chunks must go with them.
		d := MustOpenDB(t)
		if _, err := mailin.IngestMail(ctx, d, spooledMail(1, "<big-1@example.net>", "", big), mailin.IngestOptions{}); err != nil {
			t.Fatal(err)
		}
		c, err := sql.Open("sqlite3", "file:"+d.Path+"?_busy_timeout=5000&_foreign_keys=on")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		var before, after int
		if err := c.QueryRow(`SELECT COUNT(*) FROM attachment_chunks`).Scan(&before); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Exec(`DELETE FROM attachments`); err != nil {
			t.Fatal(err)
		}
		if err := c.QueryRow(`SELECT COUNT(*) FROM attachment_chunks`).Scan(&after); err != nil {
			t.Fatal(err)
		}
		if before != 3 || after != 0 {
			t.Fatalf("chunks before and after deleting the attachments = %d, %d; want 3, 0", before, after)
		}
	})
	t.Run("ErrSpoolChanged", func(t *testing.T) {
		d := MustOpenDB(t)
		in := spooledMail(1, "<big-1@example.net>", "", big)
		in.Spooled[1].Size++ // the spool no longer holds what was parsed
		if _, err := mailin.IngestMail(ctx, d, in, mailin.IngestOptions{}); err == nil {
			t.Fatal("a spool that changed was stored")
		}
		if _, err := d.ReportByRef(ctx, "SEC-1"); err == nil {
			t.Fatal("the failed mail left a report")
		}
	})
}
