package db_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin"
)

// TestSealExisting: disclose seal converts a plaintext database, survives an
// interruption (a re-run carries on), leaves no plaintext in the file, the
// WAL or the search index; unseal brings everything back.
func TestSealExisting(t *testing.T) {
	ctx := context.Background()
	d := MustOpenDB(t)
	p, _ := d.DefaultProgram(ctx)
	const marker = "qzmarkerseal"
	var ids []int64
	for i := range 5 {
		in := validReport(p.ID)
		in.Title = fmt.Sprintf("%s overflow %d", marker, i)
		in.Reporter.Email = marker + "@example.org"
		in.Attachments = []db.NewAttachment{{Filename: "poc.txt", ContentType: "text/plain", Data: []byte("poc " + marker)}}
		rc, err := d.CreateReport(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, rc.ReportID)
	}
	raw := []byte("Subject: " + marker + "\r\n\r\nmail " + marker + "\r\n")
	sum := sha256.Sum256(raw)
	if _, err := mailin.IngestMail(ctx, d, &db.InboundMail{Mailbox: "INBOX", UIDValidity: 1, UID: 1, OpenRaw: func() io.Reader { return bytes.NewReader(raw) },
		RawSize: int64(len(raw)), RawSHA256: hex.EncodeToString(sum[:]), MessageID: "<x@example.org>", FromEmail: "m@example.org",
		To: []string{"security@example.org"}, Subject: marker + " mailed", Body: "mail " + marker}, mailin.IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	if !fileHas(t, d, marker) {
		t.Fatal("the plaintext database does not hold the marker: the check below could not fail")
	}
	key := newTeamKey(t)
	key.Lock() // sealing needs only the public key
	d.SetSealer(key, true)

	t.Run("Interrupted", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		err := d.SealExisting(cctx, func(done, total int64) {
			if done == 2 {
				cancel() // as if the process died after the second commit
			}
		})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want canceled", err)
		}
		n, err := d.SealedRows(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			t.Fatal("nothing was sealed before the interruption")
		}
		if r, _ := d.ReportByID(ctx, ids[4]); r.Sealed {
			t.Fatal("the last report was sealed although the run stopped")
		}
	})
	t.Run("OK", func(t *testing.T) {
		var last int64
		if err := d.SealExisting(ctx, func(done, total int64) { last = total }); err != nil {
			t.Fatal(err)
		}
		if got, want := last, int64(4); got != want { // 3 left of 5, plus the mailed one
			t.Fatalf("the re-run converted %d reports, want %d", got, want)
		}
		if fileHas(t, d, marker) {
			t.Fatal("plaintext left in the database file or WAL after seal")
		}
		if got := queueRefs(t, d, "overflow"); len(got) != 0 {
			t.Fatalf("locked: the search still finds %v", got)
		}
		r, _ := d.ReportByID(ctx, ids[0])
		if !r.Sealed || r.Title != db.SealedText {
			t.Fatalf("locked report title = %q", r.Title)
		}
	})
	t.Run("ErrUnsealLocked", func(t *testing.T) {
		if err := d.UnsealExisting(ctx, nil); err == nil || !strings.Contains(err.Error(), "locked") {
			t.Fatalf("err = %v, want locked", err)
		}
	})
	t.Run("Unseal", func(t *testing.T) {
		if err := key.Unlock([]byte(sealPassphrase)); err != nil {
			t.Fatal(err)
		}
		r, _ := d.ReportByID(ctx, ids[3])
		if !strings.HasPrefix(r.Title, marker) || r.Reporter.Email != marker+"@example.org" {
			t.Fatalf("unlocked: title %q email %q", r.Title, r.Reporter.Email)
		}
		if err := d.UnsealExisting(ctx, nil); err != nil {
			t.Fatal(err)
		}
		key.Lock()
		if n, _ := d.SealedRows(ctx); n != 0 {
			t.Fatalf("%d rows still sealed", n)
		}
		r, _ = d.ReportByID(ctx, ids[1])
		if r.Sealed || !strings.HasPrefix(r.Title, marker) {
			t.Fatalf("after unseal: %q sealed=%v", r.Title, r.Sealed)
		}
		_, data, err := d.AttachmentOf(ctx, ids[1], firstAttachment(t, d, ids[1]), false)
		if err != nil || string(data) != "poc "+marker {
			t.Fatalf("attachment after unseal = %q, %v", data, err)
		}
		if got := queueRefs(t, d, "overflow"); len(got) != 5 {
			t.Fatalf("the on-disk index after unseal finds %v, want 5", got)
		}
	})
}

func firstAttachment(t *testing.T, d *db.DB, reportID int64) int64 {
	t.Helper()
	tl, err := d.Timeline(context.Background(), reportID, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range tl {
		for _, a := range m.Attachments {
			return a.ID
		}
	}
	t.Fatal("no attachment")
	return 0
}
