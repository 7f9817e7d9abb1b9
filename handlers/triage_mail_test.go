package handlers_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin"
)

// unverifiedEntry stores a mail that names r by its subject tag alone, from
// its reporter's address, as intake does, and returns the unverified entry.
func (f *triageFixture) unverifiedEntry(t *testing.T, r *db.Report) int64 {
	t.Helper()
	ctx := context.Background()
	f.mails++
	id := fmt.Sprintf("<tag%d@example.net>", f.mails)
	raw := "From: " + r.Reporter.Email + "\r\nSubject: [" + r.Ref() + "] more\r\nMessage-ID: " + id + "\r\n\r\nThe second PoC.\r\n"
	sum := sha256.Sum256([]byte(raw))
	res, err := mailin.IngestMail(ctx, f.env.DB, &db.InboundMail{Mailbox: "INBOX", UIDValidity: 1, UID: uint32(f.mails),
		OpenRaw: func() io.Reader { return strings.NewReader(raw) }, RawSize: int64(len(raw)), RawSHA256: hex.EncodeToString(sum[:]),
		MessageID: id, FromEmail: r.Reporter.Email, Subject: "[" + r.Ref() + "] more", Body: "The second PoC."}, mailin.IngestOptions{})
	if err != nil || !res.Unverified || res.ReportID != r.ID {
		t.Fatalf("res %+v, %v; want an unverified mail on %s", res, err, r.Ref())
	}
	tl, err := f.env.DB.Timeline(ctx, r.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	return tl[len(tl)-1].ID
}

// TestTriageAcceptMail: the report page marks a mail found by its tag alone
// and offers those who may write the report to accept it; the reporter sees
// it only then. An entry of another report is not found under this one.
func TestTriageAcceptMail(t *testing.T) {
	f := newTriageFixture(t)
	b := f.browsers["triager-member"]
	r := f.newReport(t, f.own.ID, "Accept target")
	entry := f.unverifiedEntry(t, r)
	page := b.get("/triage/reports/" + r.Ref())
	action := fmt.Sprintf("/triage/reports/%s/entries/%d/accept", r.Ref(), entry)
	for _, s := range []string{`data-testid="unverified"`, action} {
		if !strings.Contains(page.Body, s) {
			t.Errorf("report page lacks %q", s)
		}
	}
	if p := f.browsers["viewer-member"].get("/triage/reports/" + r.Ref()); !strings.Contains(p.Body, `data-testid="unverified"`) || strings.Contains(p.Body, action) {
		t.Error("a viewer sees no mark, or an accept button")
	}

	t.Run("ErrEntryOfAnotherReport", func(t *testing.T) {
		other := f.newReport(t, f.own.ID, "Another")
		p := b.post(fmt.Sprintf("/triage/reports/%s/entries/%d/accept", other.Ref(), entry), url.Values{})
		if p.Status != 404 {
			t.Errorf("status = %d, want 404", p.Status)
		}
	})
	t.Run("OK", func(t *testing.T) {
		p := b.post(action, url.Values{})
		if p.Status != 303 || !strings.HasSuffix(p.Location, "?done=mail") {
			t.Fatalf("status %d to %q", p.Status, p.Location)
		}
		pub, err := f.env.DB.Timeline(context.Background(), r.ID, true)
		if err != nil {
			t.Fatal(err)
		}
		if last := pub[len(pub)-1]; last.ID != entry || last.Unverified {
			t.Error("the accepted mail is not on the reporter's timeline")
		}
		if p := b.get("/triage/reports/" + r.Ref()); strings.Contains(p.Body, `data-testid="unverified"`) {
			t.Error("the accepted mail is still marked")
		}
	})
}
