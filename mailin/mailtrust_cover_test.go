package mailin

import (
	"context"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/views/wording"
)

// forgedFrom is the header of a mail anyone can send: From the reporter of
// SEC-1 (whose key is bound to it), the tag in the subject, nothing of ours
// in In-Reply-To.
func forgedFrom(id, extra string) string {
	return head("[SEC-1] withdrawn", id, extra)
}

// TestSignatureOverPartOfMailVerifiesNothing: a stranger sends, From the
// reporter and tagged [SEC-1], their own words around a text the reporter
// once signed (a clearsigned list post, a signed MIME part of an old mail).
// The signature is good and by her bound key, but covers only part of the
// mail: the mail is "partly signed", stays off her timeline and moves no
// state. A mail she signed whole and that names the report is hers.
func TestSignatureOverPartOfMailVerifiesNothing(t *testing.T) {
	p := newPGPPeers(t)
	d := mustOpenDB(t)
	reader := p.bound(t, d)
	r, _ := timeline(t, d, "SEC-1")
	setState(t, d, r.ID, "needs_info", "triaged")

	old := p.reporter.Run("Thanks for the release of SEC-1, all good on my side.\n", "--clearsign")
	oldPart := "Content-Type: text/plain; charset=utf-8\r\n\r\nThanks for the release of SEC-1, all good on my side.\r\n"
	oldSig := p.reporter.Run(oldPart, "--armor", "--detach-sign")
	signedPart := `Content-Type: multipart/signed; micalg=pgp-sha256; protocol="application/pgp-signature"; boundary="sig"` + "\n\n--sig\n" +
		oldPart + "\n--sig\nContent-Type: application/pgp-signature\n\n" + oldSig + "\n--sig--\n"
	cases := []struct {
		name, raw string
	}{
		{"UnsignedTextAroundClearsigned", forgedFrom("p1", "Content-Type: text/plain; charset=utf-8") +
			"\nI withdraw SEC-1, please close it and delete my PoC.\n\n" + old},
		{"ClearsignedThenUnsignedText", forgedFrom("p2", "Content-Type: text/plain; charset=utf-8") +
			"\n" + old + "\nPS: I withdraw SEC-1, please close it.\n"},
		{"SignedPartBesideUnsignedPart", forgedFrom("p3", `Content-Type: multipart/mixed; boundary="mix"`) +
			"\n--mix\nContent-Type: text/plain\n\nI withdraw SEC-1, please close it.\n--mix\n" + signedPart + "--mix--\n"},
		{"SignedTextBesideUnsignedAttachment", forgedFrom("p4", `Content-Type: multipart/mixed; boundary="mix"`) +
			"\n--mix\n" + signedPart + "--mix\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename=\"new-poc.sh\"\n\nrm -rf /\n--mix--\n"},
		{"ClearsignedInPlainAlternativeBesideHTML", forgedFrom("p5", `Content-Type: multipart/alternative; boundary="alt"`) +
			"\n--alt\nContent-Type: text/plain; charset=utf-8\n\n" + old + "\n--alt\nContent-Type: text/html\n\n<p>I withdraw SEC-1.</p>\n--alt--\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ingestRaw(t, d, reader, c.raw)
			e := lastInbound(t, d, "SEC-1")
			r, _ := timeline(t, d, "SEC-1")
			if got, want := wording.PGP(e.PGPState, e.PGPSignature), "partly signed: not verified"; got != want {
				t.Errorf("label %q, want %q", got, want)
			}
			if !e.Unverified || e.Public || r.State != db.StateNeedsInfo || e.PGPSigner != "" {
				t.Errorf("unverified=%v public=%v state=%q signer=%q: a partly signed mail vouched for the rest", e.Unverified, e.Public, r.State, e.PGPSigner)
			}
		})
	}
	t.Run("OK/SignedWhole", func(t *testing.T) {
		whole := p.reporter.Run("More on SEC-1: the bypass also works on /api.\n", "--clearsign")
		ingestRaw(t, d, reader, forgedFrom("ok1", "Content-Type: text/plain; charset=utf-8")+"\n\n"+whole+"\n\n")
		e := lastInbound(t, d, "SEC-1")
		r, _ := timeline(t, d, "SEC-1")
		if got := wording.PGP(e.PGPState, e.PGPSignature); got != "signed and verified" || e.Unverified || !e.Public || r.State != db.StateTriaged {
			t.Errorf("her whole signed mail: label %q unverified=%v public=%v state=%q", got, e.Unverified, e.Public, r.State)
		}
	})
}

// TestSignedReplyMustNameItsReport: a mail the reporter signed whole once
// (about something else, or to someone else) is sent again whole by a
// stranger under a new [SEC-1] subject. The signature covers all of it and
// is by her bound key, but nothing she signed names SEC-1: it stays for a
// triager, with a note saying why. A Subject inside the signed part
// (protected headers) names the report as well as the text does; one the
// stranger puts outside the signed part, even inside an encryption to the
// team key, does not.
func TestSignedReplyMustNameItsReport(t *testing.T) {
	p := newPGPPeers(t)
	d := mustOpenDB(t)
	reader := p.bound(t, d)
	r, _ := timeline(t, d, "SEC-1")
	signed := func(part string) string {
		part = crlfString(part)
		sig := p.reporter.Run(part, "--armor", "--detach-sign")
		return `Content-Type: multipart/signed; micalg=pgp-sha256; protocol="application/pgp-signature"; boundary="sig"` + "\n\n--sig\n" +
			part + "\n--sig\nContent-Type: application/pgp-signature\n\n" + sig + "\n--sig--\n"
	}
	elsewhere := signed("Content-Type: text/plain; charset=utf-8\n\nPlease close it, the vendor fixed it.\n")
	cases := []struct {
		name, raw string
		hers      bool
	}{
		{"SentAgainUnderANewTag", forgedFrom("r1", "") + elsewhere, false},
		{"SentAgainInsideEncryptionWithAForgedInnerSubject", forgedFrom("r2", "") + "X-Pad: 1\n", false},
		{"OK/RefInSignedText", forgedFrom("r3", "") + signed("Content-Type: text/plain; charset=utf-8\n\nPlease close SEC-1, the vendor fixed it.\n"), true},
		{"OK/RefInProtectedSubject", forgedFrom("r4", "") + signed("Subject: Re: [SEC-1] withdrawn\nContent-Type: text/plain; charset=utf-8\n\nPlease close it.\n"), true},
	}
	// The stranger encrypts (unsigned) to the team's public key, with a
	// Subject of his own beside her signed entity.
	ct := p.reporter.Run(crlfString("Subject: [SEC-1] withdrawn\n"+elsewhere), "--armor", "--encrypt", "--recipient", "security@example.org")
	cases[1].raw = pgpMIME(forgedFrom("r2", ""), ct)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			setState(t, d, r.ID, "needs_info", "triaged")
			ingestRaw(t, d, reader, c.raw)
			e := lastInbound(t, d, "SEC-1")
			r, _ := timeline(t, d, "SEC-1")
			if !strings.HasSuffix(wording.PGP(e.PGPState, e.PGPSignature), "signed and verified") || e.PGPSigner != p.pub.Fingerprint {
				t.Errorf("label %q signer %q: the signature covers the whole mail and is hers", wording.PGP(e.PGPState, e.PGPSignature), e.PGPSigner)
			}
			if c.hers {
				if e.Unverified || !e.Public || r.State != db.StateTriaged {
					t.Errorf("unverified=%v public=%v state=%q, want her reply on her timeline", e.Unverified, e.Public, r.State)
				}
				return
			}
			if !e.Unverified || e.Public || r.State != db.StateNeedsInfo {
				t.Errorf("unverified=%v public=%v state=%q: a signed mail that names no report counted as her reply to SEC-1", e.Unverified, e.Public, r.State)
			}
			if !strings.Contains(e.PGPNote, "does not name SEC-1") {
				t.Errorf("note %q, want it to say the signed text names no report", e.PGPNote)
			}
		})
	}
}

// TestPartlySignedMailDecryptedLaterStaysUnverified: the same forgery
// encrypted to the team key while it is locked is kept unverified; once
// decrypted, its good but partial signature does not make it the
// reporter's (CompletePending, acceptSignedMail).
func TestPartlySignedMailDecryptedLaterStaysUnverified(t *testing.T) {
	p := newPGPPeers(t)
	ctx := context.Background()
	d := mustOpenDB(t)
	reader := p.bound(t, d)
	r, _ := timeline(t, d, "SEC-1")
	setState(t, d, r.ID, "needs_info", "triaged")
	old := p.reporter.Run("Thanks for the release of SEC-1, all good on my side.\n", "--clearsign")
	inner := "Content-Type: text/plain; charset=utf-8\n\nI withdraw SEC-1, please close it and delete my PoC.\n\n" + old
	ct := p.reporter.Run(crlfString(inner), "--armor", "--encrypt", "--recipient", "security@example.org") // not signed: anyone can
	p.team.Lock()
	ingestRaw(t, d, reader, pgpMIME(forgedFrom("pend1", ""), ct))
	if e := lastInbound(t, d, "SEC-1"); !e.Unverified || e.PGPState != db.PGPPending {
		t.Fatalf("while locked: unverified=%v state %q", e.Unverified, e.PGPState)
	}
	if err := p.team.Unlock([]byte(teamPass)); err != nil {
		t.Fatal(err)
	}
	if n, err := DecryptPending(ctx, d, reader, DefaultLimits, discardLog()); err != nil || n != 1 {
		t.Fatalf("pending pass: %d, %v", n, err)
	}
	e := lastInbound(t, d, "SEC-1")
	r, _ = timeline(t, d, "SEC-1")
	if got, want := wording.PGP(e.PGPState, e.PGPSignature), "encrypted · partly signed: not verified"; got != want {
		t.Errorf("label %q, want %q", got, want)
	}
	if !e.Unverified || e.Public || r.State != db.StateNeedsInfo {
		t.Errorf("after unlock: unverified=%v public=%v state %q: a partly signed mail became the reporter's", e.Unverified, e.Public, r.State)
	}
}
