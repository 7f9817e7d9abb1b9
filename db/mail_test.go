package db_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin"
)

func inboundMail(uid uint32, msgID, from, subject, body string) *db.InboundMail {
	raw := "From: " + from + "\r\nSubject: " + subject + "\r\nMessage-ID: " + msgID + "\r\n\r\n" + body
	sum := sha256.Sum256([]byte(raw))
	return &db.InboundMail{Mailbox: "INBOX", UIDValidity: 7, UID: uid, OpenRaw: func() io.Reader { return strings.NewReader(raw) },
		RawSize: int64(len(raw)), RawSHA256: hex.EncodeToString(sum[:]), MessageID: msgID, FromEmail: from, Subject: subject, Body: body}
}

func TestIngestMailBatch(t *testing.T) {
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		d := MustOpenDB(t)
		if _, err := d.SyncMailbox(ctx, "INBOX", 7); err != nil {
			t.Fatal(err)
		}
		res, err := mailin.IngestMailBatch(ctx, d, []*db.InboundMail{
			inboundMail(1, "<a@x.test>", "a@x.test", "one", "first"),
			inboundMail(2, "<b@x.test>", "b@x.test", "two", "second"),
		}, mailin.IngestOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if res[0].Ref != "SEC-1" || res[1].Ref != "SEC-2" {
			t.Fatalf("refs = %q, %q", res[0].Ref, res[1].Ref)
		}
		st, err := d.SyncMailbox(ctx, "INBOX", 7)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := st.LastUID, uint32(2); got != want {
			t.Errorf("last uid = %d, want %d", got, want)
		}
		// A new UIDVALIDITY starts from 0 again.
		st, err = d.SyncMailbox(ctx, "INBOX", 8)
		if err != nil {
			t.Fatal(err)
		}
		if !st.Reset || st.LastUID != 0 {
			t.Errorf("state after a new UIDVALIDITY = %+v", st)
		}
	})

	t.Run("ClearsOnlyItsFailures", func(t *testing.T) {
		// A group commit forgets the recorded failures of the mails it took
		// (they are retries that worked), and no other: a failure between
		// two of its mails must still be retried.
		d := MustOpenDB(t)
		for _, uid := range []uint32{2, 3, 5} {
			if _, err := d.RecordMailFailure(ctx, "INBOX", 7, uid, "broken"); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := mailin.IngestMailBatch(ctx, d, []*db.InboundMail{
			inboundMail(1, "<a@x.test>", "a@x.test", "one", "first"),
			inboundMail(2, "<b@x.test>", "b@x.test", "two", "second"),
			inboundMail(4, "<d@x.test>", "d@x.test", "four", "fourth"),
		}, mailin.IngestOptions{}); err != nil {
			t.Fatal(err)
		}
		st, err := d.SyncMailbox(ctx, "INBOX", 7)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := fmt.Sprint(st.LastUID, st.Retry), "4 [3 5]"; got != want {
			t.Errorf("last uid and retries = %s, want %s", got, want)
		}
	})

	t.Run("ErrStopsAtTheFailingMessage", func(t *testing.T) {
		d := MustOpenDB(t)
		bad := inboundMail(2, "<b@x.test>", "b@x.test", "two", "second")
		bad.RawSHA256 = ""
		res, err := mailin.IngestMailBatch(ctx, d, []*db.InboundMail{
			inboundMail(1, "<a@x.test>", "a@x.test", "one", "first"),
			bad,
			inboundMail(3, "<c@x.test>", "c@x.test", "three", "third"),
		}, mailin.IngestOptions{})
		if err == nil || !strings.Contains(err.Error(), "no raw hash") {
			t.Fatalf("err = %v, want the second mail's", err)
		}
		if len(res) != 1 || res[0].Ref != "SEC-1" {
			t.Fatalf("res = %+v, want only the first committed", res)
		}
		if n, _ := d.CountReports(ctx); n != 1 {
			t.Errorf("reports = %d, want 1 (the one after the failure is not tried)", n)
		}
		st, _ := d.SyncMailbox(ctx, "INBOX", 7)
		if got, want := st.LastUID, uint32(1); got != want {
			t.Errorf("last uid = %d, want %d: the position must not pass the failure", got, want)
		}
	})

	t.Run("OKAutoMailMessageIDTaken", func(t *testing.T) {
		// An automatic mail whose Message-ID another kept mail holds is kept
		// too, as a duplicate (SQLite refuses the dedupe key: its code, not
		// its text, says so).
		d := MustOpenDB(t)
		first := inboundMail(1, "<ooo@x.test>", "a@x.test", "Out of office", "away")
		again := inboundMail(2, "<ooo@x.test>", "a@x.test", "Out of office", "away, in other bytes")
		first.Auto, again.Auto = "auto-replied", "auto-replied"
		res, err := mailin.IngestMailBatch(ctx, d, []*db.InboundMail{first, again}, mailin.IngestOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := fmt.Sprint(res[0].Kind, " ", res[1].Kind), "autoreply duplicate"; got != want {
			t.Fatalf("kinds = %s, want %s", got, want)
		}
	})

	t.Run("ErrPanicTakesOnlyItsMail", func(t *testing.T) {
		// A panic while one mail is stored (here reading its raw bytes)
		// fails that mail alone: the one before it is committed with the
		// mailbox position, the group goes on next poll.
		d := MustOpenDB(t)
		second := inboundMail(2, "<b@x.test>", "b@x.test", "two", "second")
		second.OpenRaw = func() io.Reader { panic("raw of uid 2") }
		res, err := mailin.IngestMailBatch(ctx, d, []*db.InboundMail{
			inboundMail(1, "<a@x.test>", "a@x.test", "one", "first"),
			second,
			inboundMail(3, "<c@x.test>", "c@x.test", "three", "third"),
		}, mailin.IngestOptions{})
		if err == nil || !strings.Contains(err.Error(), "raw of uid 2") {
			t.Fatalf("err = %v, want the panic of the second mail", err)
		}
		if len(res) != 1 || res[0].Ref != "SEC-1" {
			t.Fatalf("res = %+v, want only the first committed", res)
		}
		if n, _ := d.CountReports(ctx); n != 1 {
			t.Errorf("reports = %d, want 1", n)
		}
		st, _ := d.SyncMailbox(ctx, "INBOX", 7)
		if got, want := st.LastUID, uint32(1); got != want {
			t.Errorf("last uid = %d, want %d", got, want)
		}
	})

	t.Run("ErrRawMailNotFound", func(t *testing.T) {
		d := MustOpenDB(t)
		if _, err := d.RawMailOf(ctx, 1, 1); db.ErrorCode(err) != db.ENOTFOUND {
			t.Errorf("err = %v, want ENOTFOUND", err)
		}
		if _, err := d.RawMailByID(ctx, 1); db.ErrorCode(err) != db.ENOTFOUND {
			t.Errorf("err = %v, want ENOTFOUND", err)
		}
	})
}
