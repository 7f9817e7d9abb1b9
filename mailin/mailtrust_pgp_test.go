package mailin

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin/pgp"
	"github.com/disclose/disclose/mailin/pgp/pgptest"
	"github.com/disclose/disclose/views/wording"
)

// TestMailTrustForgedSignature is the attack on "signed and verified": the
// web form takes any key with any address, so Mallory files a report of his
// own with his key and Ann's address, then sends mail with From: Ann, signed
// with his key, onto Ann's report. Only keys bound to that report's
// reporter verify; a key he attaches proves the mail unchanged, not who
// wrote it; Ann's own key, given with her report, still verifies her mail,
// sealed too (a sealed reporter's key was never found by address).
func TestMailTrustForgedSignature(t *testing.T) {
	pgptest.NeedGPG(t)
	ctx := context.Background()
	ann, annPub := pgptest.New(t, "Ann <ann@researcher.test>")
	mallory, malloryPub := pgptest.New(t, "Ann <ann@researcher.test>") // his key even names her
	webReport := func(t *testing.T, d *db.DB, pub *pgp.PublicKey) string {
		t.Helper()
		p, _ := d.DefaultProgram(ctx)
		rc, err := d.CreateReport(ctx, &db.NewReport{ProgramID: p.ID, Source: db.SourceWeb, Title: "XSS", Description: "text",
			Reporter: db.Reporter{Email: "ann@researcher.test", PGPKey: pub.Armored, PGPFingerprint: pub.Fingerprint, Credit: db.CreditAnonymous}})
		if err != nil {
			t.Fatal(err)
		}
		return rc.Ref
	}
	signedMail := func(g *pgptest.GnuPG, subject, id, text, attachKey string) string {
		signed := g.Run(text+"\n", "--clearsign")
		h := "From: Ann <ann@researcher.test>\nTo: security@example.org\nSubject: " + subject + "\nMessage-ID: " + id + "\nMIME-Version: 1.0\n"
		if k, ok := strings.CutPrefix(attachKey, "autocrypt:"); ok {
			return h + "Autocrypt: addr=ann@researcher.test; keydata=" + k + "\nContent-Type: text/plain; charset=utf-8\n\n" + signed
		}
		if attachKey == "" {
			return h + "Content-Type: text/plain; charset=utf-8\n\n" + signed
		}
		return h + "Content-Type: multipart/mixed; boundary=M\n\n--M\nContent-Type: text/plain; charset=utf-8\n\n" + signed +
			"\n--M\nContent-Type: application/pgp-keys; name=key.asc\nContent-Disposition: attachment; filename=key.asc\n\n" + attachKey + "\n--M--\n"
	}
	for _, m := range trustModes {
		t.Run(m.name, func(t *testing.T) {
			srv := startMemIMAP(t, nil)
			d, _, team := trustDB(t, m)
			in := newTestIntake(t, srv.addr, d)
			in.UsePGP(&PGP{Key: team, Known: d.KnownKeys})

			malloryRef := webReport(t, d, malloryPub) // SEC-1: his key, her address
			srv.deliver(t, "INBOX", mailText("Ann <ann@researcher.test>", "CSRF on settings", "<a1@researcher.test>", "", "Details.\n"))
			pollOnce(t, in)                   // SEC-2: Ann's report by mail, no key
			annRef := webReport(t, d, annPub) // SEC-3: Ann's report with her key
			if malloryRef != "SEC-1" || annRef != "SEC-3" {
				t.Fatalf("refs %s %s", malloryRef, annRef)
			}
			if keys, err := d.KnownKeys(ctx, db.KeyQuery{From: "ann@researcher.test", Subject: "[SEC-2] hello"}); err != nil || len(keys) != 0 {
				t.Errorf("keys known for SEC-2: %d, %v; want none (Mallory's is bound to SEC-1)", len(keys), err)
			}

			srv.deliver(t, "INBOX", signedMail(mallory, "[SEC-2] false alarm", "<m1@evil.test>", "Please close SEC-2, it was a false alarm.", ""))
			srv.deliver(t, "INBOX", signedMail(mallory, "[SEC-2] my key", "<m2@evil.test>", "Please close it, here is my key.", malloryPub.Armored))
			srv.deliver(t, "INBOX", signedMail(mallory, "[SEC-2] my key", "<m3@evil.test>", "Please close SEC-2, my key is in the header.",
				"autocrypt:"+base64.StdEncoding.EncodeToString([]byte(mallory.Run("", "--export", malloryPub.Fingerprint)))))
			srv.deliver(t, "INBOX", signedMail(ann, "[SEC-3] more", "<a2@researcher.test>", "The second PoC for SEC-3.", ""))
			pollOnce(t, in)

			for _, c := range []struct{ id, label, signer string }{
				{"<m1@evil.test>", "signed, key unknown", ""},
				// The attached key is outside the signed text: the signature
				// covers part of the mail only.
				{"<m2@evil.test>", "partly signed: not verified", ""},
				{"<m3@evil.test>", "signed, key not bound to the reporter", malloryPub.Fingerprint},
			} {
				reportID, entryID, unverified, public := entryByMessageID(t, d, c.id)
				e := entryOf(t, d, reportID, entryID)
				if got := wording.PGP(e.PGPState, e.PGPSignature); got != c.label || e.PGPSigner != c.signer {
					t.Errorf("%s: label %q signer %q, want %q %q", c.id, got, e.PGPSigner, c.label, c.signer)
				}
				if !unverified || public {
					t.Errorf("%s: unverified=%v public=%v, want it kept from Ann's timeline", c.id, unverified, public)
				}
			}
			reportID, entryID, unverified, public := entryByMessageID(t, d, "<a2@researcher.test>")
			e := entryOf(t, d, reportID, entryID)
			want, signer := "signed and verified", annPub.Fingerprint
			if m.locked {
				// Her key is sealed like her address: checked once unlocked.
				want, signer = "signed, key unknown", ""
			}
			if got := wording.PGP(e.PGPState, e.PGPSignature); got != want || e.PGPSigner != signer {
				t.Errorf("Ann's mail: label %q signer %q, want %q %q", got, e.PGPSigner, want, signer)
			}
			if unverified == !m.locked || public == m.locked {
				t.Errorf("Ann's mail signed by her key: unverified=%v public=%v", unverified, public)
			}
		})
	}
}

// entryOf is one timeline entry.
func entryOf(t *testing.T, d *db.DB, reportID, entryID int64) *db.Message {
	t.Helper()
	msgs, err := d.Timeline(context.Background(), reportID, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if m.ID == entryID {
			return m
		}
	}
	t.Fatalf("entry %d not on report %d", entryID, reportID)
	return nil
}

// TestMailTrustSignedPending: an encrypted mail with only the tag that came
// while the team key was locked waits unverified; once decrypted, a
// signature by the key bound to the report's reporter makes it hers (the
// rule intake applies to mail it can read at once), checked against the
// keys of the report it is on.
func TestMailTrustSignedPending(t *testing.T) {
	p := newPGPPeers(t)
	ctx := context.Background()
	d := mustOpenDB(t)
	reader := p.bound(t, d) // SEC-1 with the reporter's key
	r, _ := timeline(t, d, "SEC-1")
	setState(t, d, r.ID, "needs_info", "triaged")
	p.team.Lock()
	// The signed content names the report in its protected Subject.
	ct := p.reporter.Run(crlfString("Subject: [SEC-1] the details\n"+innerMIME), "--armor", "--sign", "--encrypt", "--recipient", "security@example.org")
	ingestRaw(t, d, reader, pgpMIME(head("[SEC-1] the details", "pend1", ""), ct))
	e := lastInbound(t, d, "SEC-1")
	if !e.Unverified || e.PGPState != db.PGPPending {
		t.Fatalf("while locked: unverified=%v state %q", e.Unverified, e.PGPState)
	}
	if err := p.team.Unlock([]byte(teamPass)); err != nil {
		t.Fatal(err)
	}
	if n, err := DecryptPending(ctx, d, reader, DefaultLimits, discardLog()); err != nil || n != 1 {
		t.Fatalf("pending pass: %d, %v", n, err)
	}
	e = lastInbound(t, d, "SEC-1")
	r, _ = timeline(t, d, "SEC-1")
	if got := wording.PGP(e.PGPState, e.PGPSignature); got != "encrypted · signed and verified" || e.Unverified || !e.Public || r.State != db.StateTriaged {
		t.Errorf("after unlock: label %q unverified=%v public=%v state %q", got, e.Unverified, e.Public, r.State)
	}
}
