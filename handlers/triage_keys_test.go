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
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin"
	"github.com/disclose/disclose/mailin/pgp"
)

// mailedReport stores a signed and encrypted mail that carried the
// reporter's key, as intake does, and returns the report and the candidate.
func mailedReport(t *testing.T, d *db.DB, n int, armored, fpr string) (*db.Report, *db.KeyCandidate) {
	t.Helper()
	ctx := context.Background()
	raw := fmt.Sprintf("From: r%d@example.net\r\nMessage-ID: <k%d@example.net>\r\nSubject: key %d\r\n\r\nbody\r\n", n, n, n)
	sum := sha256.Sum256([]byte(raw))
	res, err := mailin.IngestMail(ctx, d, &db.InboundMail{Mailbox: "INBOX", UIDValidity: 1, UID: uint32(n),
		OpenRaw: func() io.Reader { return strings.NewReader(raw) }, RawSize: int64(len(raw)), RawSHA256: hex.EncodeToString(sum[:]),
		MessageID: fmt.Sprintf("<k%d@example.net>", n), FromEmail: fmt.Sprintf("r%d@example.net", n), Subject: "Key", Body: "decrypted text",
		PGP: db.MailPGP{State: db.PGPDecrypted, Signature: db.SigVerified, Signer: fpr,
			Keys: []db.KeyCandidate{{Fingerprint: fpr, Armored: armored, Origin: "attachment"}}}}, mailin.IngestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := d.ReportByID(ctx, res.ReportID)
	if err != nil {
		t.Fatal(err)
	}
	cands, err := d.KeyCandidates(ctx, r.ID)
	if err != nil || len(cands) != 1 {
		t.Fatalf("candidates = %v, %v", cands, err)
	}
	return r, cands[0]
}

// TestTriageAcceptKey: the key offered on the report page is saved for the
// reporter by those who may write the report, and by no one else.
func TestTriageAcceptKey(t *testing.T) {
	f := newTriageFixture(t)
	key, err := pgp.Generate(pgp.GenerateOptions{Email: "r@example.net"}, []byte("long enough passphrase"), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	armored, _ := key.ArmoredPublic()
	fpr := key.Info().Fingerprint
	want := map[string]int{"admin-member": 303, "admin-outsider": 303, "triager-member": 303, "triager-outsider": 404,
		"viewer-member": 403, "viewer-outsider": 404, "anonymous": 401}
	n := 0
	for who, status := range want {
		t.Run(who, func(t *testing.T) {
			n++
			r, cand := mailedReport(t, f.env.DB, n, armored, fpr)
			b := f.browsers[who]
			if status == 303 {
				page := b.get("/triage/reports/" + r.Ref())
				for _, s := range []string{`data-testid="key-candidates"`, fpr, "encrypted · signed, key not bound to the reporter"} {
					if !strings.Contains(page.Body, s) {
						t.Errorf("report page lacks %q", s)
					}
				}
			}
			p := b.post(fmt.Sprintf("/triage/reports/%s/keys/%d/accept", r.Ref(), cand.ID), url.Values{})
			if got := p.Status; got != status {
				t.Fatalf("status = %d, want %d", got, status)
			}
			after, err := f.env.DB.ReportByID(context.Background(), r.ID)
			if err != nil {
				t.Fatal(err)
			}
			if saved := after.Reporter.PGPFingerprint == fpr; saved != (status == 303) {
				t.Errorf("key saved = %v after status %d", saved, status)
			}
		})
	}
}

// TestStatusShowsPGP: the reporter's status page says of their mailed reply
// that it came encrypted and signed.
func TestStatusShowsPGP(t *testing.T) {
	env := newPortal(t)
	ctx := context.Background()
	prog, err := env.DB.DefaultProgram(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := env.DB.CreateReport(ctx, &db.NewReport{ProgramID: prog.ID, Source: db.SourceWeb, Title: "XSS", Description: "Reflected.",
		Reporter: db.Reporter{Email: "ann@example.net", Credit: db.CreditAnonymous}})
	if err != nil {
		t.Fatal(err)
	}
	raw := "From: ann@example.net\r\nSubject: [" + rc.Ref + "] more\r\nMessage-ID: <more@example.net>\r\n\r\nbody\r\n"
	sum := sha256.Sum256([]byte(raw))
	res, err := mailin.IngestMail(ctx, env.DB, &db.InboundMail{Mailbox: "INBOX", UIDValidity: 1, UID: 1,
		OpenRaw: func() io.Reader { return strings.NewReader(raw) }, RawSize: int64(len(raw)), RawSHA256: hex.EncodeToString(sum[:]),
		MessageID: "<more@example.net>", FromEmail: "ann@example.net", Subject: "[" + rc.Ref + "] more", Body: "The second PoC.",
		PGP: db.MailPGP{State: db.PGPDecrypted, Signature: db.SigBad}}, mailin.IngestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b := env.browser(t)
	b.get("/status")
	if p := b.post("/status", url.Values{"code": {rc.Code}}); p.Status != 303 {
		t.Fatalf("status login: %d", p.Status)
	}
	// By its tag alone the mail is unverified: not on the reporter's page
	// until a triager accepts it.
	if p := b.get("/status"); strings.Contains(p.Body, "The second PoC.") {
		t.Fatal("an unverified mail is on the status page")
	}
	tl, err := env.DB.Timeline(ctx, rc.ReportID, false)
	if err != nil || !tl[len(tl)-1].Unverified {
		t.Fatalf("last entry is not the unverified mail (%v)", err)
	}
	if err := env.DB.AcceptMail(ctx, res.ReportID, tl[len(tl)-1].ID, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	p := b.get("/status")
	if !strings.Contains(p.Body, "The second PoC.") || !strings.Contains(p.Body, "encrypted · bad signature") {
		t.Errorf("status page lacks the reply's OpenPGP state:\n%.3000s", p.Body)
	}
}
