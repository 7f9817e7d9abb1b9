package mailin

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin/pgp"
	"github.com/disclose/disclose/mailin/pgp/pgptest"
	"github.com/disclose/disclose/views/wording"
)

const teamPass = "correct horse battery"

// pgpPeers is the team key and a reporter using real GnuPG.
type pgpPeers struct {
	team     *pgp.TeamKey
	reporter *pgptest.GnuPG
	pub      *pgp.PublicKey
	known    []string // keys the database "knows" for the reporter
}

func newPGPPeers(t *testing.T) *pgpPeers {
	t.Helper()
	pgptest.NeedGPG(t)
	team, err := pgp.Generate(pgp.GenerateOptions{Name: "Security", Email: "security@example.org"}, []byte(teamPass), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	g, pub := pgptest.New(t, "Reporter <reporter@example.org>")
	teamPub, _ := team.ArmoredPublic()
	g.Run(teamPub, "--import")
	return &pgpPeers{team: team, reporter: g, pub: pub}
}

func (p *pgpPeers) pgp() *PGP {
	return &PGP{Key: p.team, Known: func(context.Context, db.KeyQuery) ([]string, error) { return p.known, nil }}
}

// bound files SEC-1 through the web form's storage with the reporter's
// address and key, so that the key is bound to that report's reporter, and
// returns the reader intake uses (the database's own KnownKeys). Mail the
// tests send to SEC-1 carries its tag from the reporter's address.
func (p *pgpPeers) bound(t *testing.T, d *db.DB) *PGP {
	t.Helper()
	prog, err := d.DefaultProgram(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.CreateReport(context.Background(), &db.NewReport{ProgramID: prog.ID, Source: db.SourceWeb, Title: "Admin bypass",
		Description: "See the mail.", Reporter: db.Reporter{Email: "reporter@example.org", PGPKey: p.pub.Armored,
			PGPFingerprint: p.pub.Fingerprint, Credit: db.CreditAnonymous}}); err != nil {
		t.Fatal(err)
	}
	return &PGP{Key: p.team, Known: d.KnownKeys}
}

// lastInbound is the latest entry the reporter's mail made on a report.
func lastInbound(t *testing.T, d *db.DB, ref string) *db.Message {
	t.Helper()
	_, msgs := timeline(t, d, ref)
	in := inbound(msgs)
	return in[len(in)-1]
}

// ingestRaw parses a message as intake does and stores it.
func ingestRaw(t *testing.T, d *db.DB, p *PGP, raw string) (*db.InboundMail, *db.IngestResult) {
	t.Helper()
	raw = strings.ReplaceAll(strings.ReplaceAll(raw, "\r\n", "\n"), "\n", "\r\n")
	m, err := ParsePGP(context.Background(), strings.NewReader(raw), DefaultLimits, p)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(raw))
	m.OpenRaw = func() io.Reader { return strings.NewReader(raw) }
	m.RawSize, m.RawSHA256 = int64(len(raw)), hex.EncodeToString(sum[:])
	res, err := IngestMail(context.Background(), d, m, IngestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return m, res
}

func head(subject, id, extra string) string {
	h := fmt.Sprintf("From: Reporter <reporter@example.org>\nTo: security@example.org\nSubject: %s\nMessage-ID: <%s@example.org>\nMIME-Version: 1.0\n", subject, id)
	if extra != "" {
		h += extra + "\n"
	}
	return h
}

// pgpMIME wraps an armored OpenPGP message as RFC 3156 multipart/encrypted.
func pgpMIME(hdr, armored string) string {
	return hdr + `Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="enc"

This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)
--enc
Content-Type: application/pgp-encrypted
Content-Description: PGP/MIME version identification

Version: 1

--enc
Content-Type: application/octet-stream; name="encrypted.asc"
Content-Disposition: inline; filename="encrypted.asc"

` + armored + `
--enc--
`
}

const innerMIME = `Content-Type: multipart/mixed; boundary="in"

--in
Content-Type: text/plain; charset=utf-8

The admin panel at /admin accepts any password.
--in
Content-Type: text/x-python; name="poc.py"
Content-Disposition: attachment; filename="poc.py"

print("pwned")
--in--
`

func crlfString(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "\r\n")
}

// entry is the first entry of a report, with the report's description as
// its body (a report keeps its first mail's text there).
func entry(t *testing.T, d *db.DB, ref string) *db.Message {
	t.Helper()
	r, msgs := timeline(t, d, ref)
	m := *msgs[0]
	if m.Event == "submitted" {
		m.Body = r.Description
	}
	return &m
}

func events(t *testing.T, d *db.DB, ref string) string {
	t.Helper()
	_, msgs := timeline(t, d, ref)
	var b strings.Builder
	for _, m := range msgs[1:] {
		b.WriteString(m.Body + "\n")
	}
	return b.String()
}

func fileNames(m *db.Message) []string {
	var out []string
	for _, a := range m.Attachments {
		out = append(out, a.Filename)
	}
	return out
}

func TestPGPMailGnuPG(t *testing.T) {
	p := newPGPPeers(t)
	g := p.reporter
	secret := "The admin panel at /admin accepts any password."

	t.Run("OK/PGPMIMEEncrypted", func(t *testing.T) {
		d := mustOpenDB(t)
		ct := g.Run(crlfString(innerMIME), "--armor", "--encrypt", "--recipient", "security@example.org")
		_, res := ingestRaw(t, d, p.pgp(), pgpMIME(head("Admin bypass", "e1", ""), ct))
		m := entry(t, d, res.Ref)
		if !strings.Contains(m.Body, secret) {
			t.Errorf("body = %q", m.Body)
		}
		if got, want := fmt.Sprint(fileNames(m)), "[poc.py]"; got != want {
			t.Errorf("attachments = %s, want %s", got, want)
		}
		if got, want := wording.PGP(m.PGPState, m.PGPSignature), "encrypted"; got != want {
			t.Errorf("label = %q, want %q", got, want)
		}
	})
	t.Run("OK/PGPMIMESignedAndEncrypted", func(t *testing.T) {
		d := mustOpenDB(t)
		ct := g.Run(crlfString(innerMIME), "--armor", "--sign", "--encrypt", "--recipient", "security@example.org")
		_, res := ingestRaw(t, d, p.bound(t, d), pgpMIME(head("[SEC-1] Admin bypass", "e2", ""), ct))
		m := lastInbound(t, d, res.Ref)
		if got, want := wording.PGP(m.PGPState, m.PGPSignature), "encrypted · signed and verified"; got != want {
			t.Errorf("label = %q, want %q", got, want)
		}
		if got, want := m.PGPSigner, p.pub.Fingerprint; got != want {
			t.Errorf("signer = %q, want %q", got, want)
		}
	})
	t.Run("OK/UnknownSigner", func(t *testing.T) {
		d := mustOpenDB(t)
		ct := g.Run(crlfString(innerMIME), "--armor", "--sign", "--encrypt", "--recipient", "security@example.org")
		_, res := ingestRaw(t, d, p.pgp(), pgpMIME(head("Admin bypass", "e3", ""), ct))
		m := entry(t, d, res.Ref)
		if got, want := wording.PGP(m.PGPState, m.PGPSignature), "encrypted · signed, key unknown"; got != want {
			t.Errorf("label = %q, want %q", got, want)
		}
		if !strings.Contains(m.Body, secret) {
			t.Errorf("body = %q", m.Body)
		}
	})
	t.Run("OK/KeyAttachedInsideEncrypted", func(t *testing.T) {
		d := mustOpenDB(t)
		inner := `Content-Type: multipart/mixed; boundary="in"

--in
Content-Type: text/plain; charset=utf-8

` + secret + `
--in
Content-Type: application/pgp-keys; name="reporter.asc"
Content-Disposition: attachment; filename="reporter.asc"

` + p.pub.Armored + `
--in--
`
		ct := g.Run(crlfString(inner), "--armor", "--sign", "--encrypt", "--recipient", "security@example.org")
		_, res := ingestRaw(t, d, p.pgp(), pgpMIME(head("Admin bypass", "e4", ""), ct))
		m := entry(t, d, res.Ref)
		if got, want := wording.PGP(m.PGPState, m.PGPSignature), "encrypted · signed, key not bound to the reporter"; got != want {
			t.Errorf("label = %q, want %q", got, want)
		}
		if got, want := m.PGPSigner, p.pub.Fingerprint; got != want {
			t.Errorf("signer = %q, want %q", got, want)
		}
		if !strings.Contains(m.PGPNote, "key that came with this mail") {
			t.Errorf("note = %q, want it to say the key came with the mail", m.PGPNote)
		}
		cands, err := d.KeyCandidates(context.Background(), m.ReportID)
		if err != nil || len(cands) != 1 || cands[0].Fingerprint != p.pub.Fingerprint {
			t.Fatalf("candidates = %+v, %v", cands, err)
		}
		if err := d.AcceptKeyCandidate(context.Background(), m.ReportID, cands[0].ID, db.ActorSystem); err != nil {
			t.Fatal(err)
		}
		keys, err := d.KnownKeys(context.Background(), db.KeyQuery{ReportID: m.ReportID})
		if err != nil || len(keys) != 1 {
			t.Fatalf("known keys after accept = %d, %v", len(keys), err)
		}
	})
	t.Run("OK/InlineEncryptedAndSigned", func(t *testing.T) {
		d := mustOpenDB(t)
		ct := g.Run(secret, "--armor", "--sign", "--encrypt", "--recipient", "security@example.org")
		bound := p.bound(t, d)
		_, res := ingestRaw(t, d, bound, head("Re: [SEC-1] Inline", "i1", "Content-Type: text/plain; charset=utf-8")+"\nHello team,\n\n"+ct+"\nBest, R.\n")
		m := lastInbound(t, d, res.Ref)
		if !strings.Contains(m.Body, secret) || strings.Contains(m.Body, "BEGIN PGP") || !strings.Contains(m.Body, "Hello team") {
			t.Errorf("body = %q", m.Body)
		}
		// "Hello team" and "Best, R." are outside the signed block: anyone
		// could have written them.
		if got, want := wording.PGP(m.PGPState, m.PGPSignature), "encrypted · partly signed: not verified"; got != want {
			t.Errorf("label = %q, want %q", got, want)
		}
		_, res = ingestRaw(t, d, bound, head("Re: [SEC-1] Inline", "i2", "Content-Type: text/plain; charset=utf-8")+"\n\n"+ct+"\n\n")
		m = lastInbound(t, d, res.Ref)
		if got, want := wording.PGP(m.PGPState, m.PGPSignature), "encrypted · signed and verified"; got != want {
			t.Errorf("the block alone: label = %q, want %q", got, want)
		}
	})
	t.Run("OK/InlineCleartextSigned", func(t *testing.T) {
		d := mustOpenDB(t)
		signed := g.Run(secret+"\n", "--clearsign")
		bound := p.bound(t, d)
		_, res := ingestRaw(t, d, bound, head("[SEC-1] Cleartext", "c1", "Content-Type: text/plain; charset=utf-8")+"\n"+signed)
		m := lastInbound(t, d, res.Ref)
		if got, want := wording.PGP(m.PGPState, m.PGPSignature), "signed and verified"; got != want {
			t.Errorf("label = %q, want %q", got, want)
		}
		if strings.Contains(m.Body, "BEGIN PGP") || !strings.Contains(m.Body, secret) {
			t.Errorf("body = %q", m.Body)
		}
		tampered := strings.Replace(signed, "any password", "no password", 1)
		_, res = ingestRaw(t, d, bound, head("[SEC-1] Cleartext", "c2", "Content-Type: text/plain; charset=utf-8")+"\n"+tampered)
		m = lastInbound(t, d, res.Ref)
		if got, want := wording.PGP(m.PGPState, m.PGPSignature), "bad signature"; got != want {
			t.Errorf("tampered: label = %q, want %q", got, want)
		}
	})
	t.Run("OK/MultipartSigned", func(t *testing.T) {
		d := mustOpenDB(t)
		// The signed part names the report in its own Subject (protected headers).
		part := "Subject: [SEC-1] Signed\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" + secret + "\r\n"
		sig := g.Run(part, "--armor", "--detach-sign")
		mail := func(id, body string) string {
			return head("Signed", id, `Content-Type: multipart/signed; micalg=pgp-sha256; protocol="application/pgp-signature"; boundary="sig"`) +
				"\n--sig\n" + body + "\n--sig\nContent-Type: application/pgp-signature; name=\"signature.asc\"\n\n" + sig + "\n--sig--\n"
		}
		bound := p.bound(t, d)
		tagged := func(raw string) string { return strings.Replace(raw, "Subject: Signed", "Subject: [SEC-1] Signed", 1) }
		_, res := ingestRaw(t, d, bound, tagged(mail("s1", part)))
		m := lastInbound(t, d, res.Ref)
		if got, want := wording.PGP(m.PGPState, m.PGPSignature), "signed and verified"; got != want || m.Unverified {
			t.Errorf("label = %q, unverified %v; want %q by the reporter's key, on their timeline", got, m.Unverified, want)
		}
		if !strings.Contains(m.Body, secret) {
			t.Errorf("body = %q", m.Body)
		}
		_, res = ingestRaw(t, d, bound, tagged(mail("s2", strings.Replace(part, "any", "every", 1))))
		m = lastInbound(t, d, res.Ref)
		if got, want := wording.PGP(m.PGPState, m.PGPSignature), "bad signature"; got != want || !m.Unverified {
			t.Errorf("altered: label = %q, unverified %v; want %q, kept unverified", got, m.Unverified, want)
		}
		// The key in an Autocrypt header of the sender, on a mail that opens
		// a new report: it checks the signature, and is offered, but is not
		// the reporter's until a triager saves it.
		d = mustOpenDB(t)
		keyBin := g.Run("", "--export", g.Fingerprint)
		ac := "Autocrypt: addr=reporter@example.org; keydata=" + base64.StdEncoding.EncodeToString([]byte(keyBin))
		raw := strings.Replace(mail("s3", part), "MIME-Version: 1.0\n", "MIME-Version: 1.0\n"+ac+"\n", 1)
		_, res = ingestRaw(t, d, p.pgp(), raw)
		m = entry(t, d, res.Ref)
		if got, want := wording.PGP(m.PGPState, m.PGPSignature), "signed, key not bound to the reporter"; got != want {
			t.Errorf("autocrypt: label = %q, want %q", got, want)
		}
		if c, _ := d.KeyCandidates(context.Background(), m.ReportID); len(c) != 1 || c[0].Origin != "autocrypt" {
			t.Errorf("autocrypt candidates = %+v", c)
		}
	})
	t.Run("OK/EncryptedAttachment", func(t *testing.T) {
		d := mustOpenDB(t)
		bin := g.Run("secret exploit bytes", "--encrypt", "--recipient", "security@example.org")
		raw := head("File", "f1", `Content-Type: multipart/mixed; boundary="m"`) + "\n--m\nContent-Type: text/plain\n\nSee the attachment.\n--m\n" +
			"Content-Type: application/octet-stream; name=\"exploit.txt.gpg\"\nContent-Disposition: attachment; filename=\"exploit.txt.gpg\"\nContent-Transfer-Encoding: base64\n\n" +
			base64.StdEncoding.EncodeToString([]byte(bin)) + "\n--m--\n"
		_, res := ingestRaw(t, d, p.pgp(), raw)
		m := entry(t, d, res.Ref)
		if got, want := fmt.Sprint(fileNames(m)), "[exploit.txt]"; got != want {
			t.Fatalf("attachments = %s, want %s", got, want)
		}
		_, data, err := d.AttachmentOf(context.Background(), m.ReportID, m.Attachments[0].ID, false)
		if err != nil || string(data) != "secret exploit bytes" {
			t.Errorf("attachment = %q, %v", data, err)
		}
	})
}

// TestPGPMailErrors: every way decryption fails keeps the message, raw, with
// a clear entry.
func TestPGPMailErrors(t *testing.T) {
	p := newPGPPeers(t)
	g := p.reporter
	secret := "The admin panel at /admin accepts any password."
	check := func(t *testing.T, d *db.DB, res *db.IngestResult, wantNote string) {
		t.Helper()
		m := entry(t, d, res.Ref)
		if got, want := m.PGPState, db.PGPFailed; got != want {
			t.Errorf("state = %q, want %q", got, want)
		}
		if !strings.Contains(m.Body+events(t, d, res.Ref), wantNote) {
			t.Errorf("timeline does not say %q:\nbody %q\nevents %q", wantNote, m.Body, events(t, d, res.Ref))
		}
		if _, err := d.RawMailOf(context.Background(), m.ReportID, m.ID); err != nil {
			t.Errorf("raw not kept: %v", err)
		}
	}
	t.Run("ErrWrongKey", func(t *testing.T) {
		d := mustOpenDB(t)
		other, _ := pgptest.New(t, "Other <other@example.org>")
		ct := other.Run(crlfString(innerMIME), "--armor", "--encrypt", "--recipient", "other@example.org")
		_, res := ingestRaw(t, d, p.pgp(), pgpMIME(head("Wrong key", "w1", ""), ct))
		check(t, d, res, "encrypted to a key other than the team key")
	})
	t.Run("ErrCorrupt", func(t *testing.T) {
		d := mustOpenDB(t)
		ct := g.Run(crlfString(innerMIME), "--armor", "--encrypt", "--recipient", "security@example.org")
		lines := strings.Split(ct, "\n")
		lines[len(lines)-5] = strings.Repeat("A", len(lines[len(lines)-5]))
		_, res := ingestRaw(t, d, p.pgp(), pgpMIME(head("Corrupt", "x1", ""), strings.Join(lines, "\n")))
		check(t, d, res, "damaged or truncated")
	})
	t.Run("ErrTruncatedArmor", func(t *testing.T) {
		d := mustOpenDB(t)
		ct := g.Run(secret, "--armor", "--encrypt", "--recipient", "security@example.org")
		cut := ct[:len(ct)/2]
		_, res := ingestRaw(t, d, p.pgp(), head("Truncated", "t1", "Content-Type: text/plain")+"\nHi,\n"+cut)
		check(t, d, res, "end is missing (truncated armor)")
	})
	t.Run("ErrTooLarge", func(t *testing.T) {
		d := mustOpenDB(t)
		// Compressed zeros: a small mail that would unpack far beyond the limit.
		ct := g.Run(strings.Repeat("\x00", 1<<20), "--armor", "--compress-algo", "zlib", "--encrypt", "--recipient", "security@example.org")
		if len(ct) > 64<<10 {
			t.Fatalf("ciphertext %d bytes: not compressed", len(ct))
		}
		defer func(max int64) { DefaultLimits.MaxDecryptedBytes = max }(DefaultLimits.MaxDecryptedBytes)
		DefaultLimits.MaxDecryptedBytes = 512 << 10
		_, res := ingestRaw(t, d, p.pgp(), head("Bomb", "z1", "Content-Type: text/plain")+"\n"+ct)
		check(t, d, res, "decrypts to more than one mail may (512 KB")
	})
	t.Run("ErrExpiredKeyAttached", func(t *testing.T) {
		d := mustOpenDB(t)
		old, _ := pgptest.New(t, "Old <old@example.org>")
		old.Run("", "--quick-set-expire", old.Fingerprint, "1d")
		old.Run("", "--quick-set-expire", old.Fingerprint, "1d", "*")
		exp := old.Run("", "--armor", "--export", old.Fingerprint)
		raw := head("Key", "k1", `Content-Type: multipart/mixed; boundary="m"`) + "\n--m\nContent-Type: text/plain\n\nMy key.\n--m\n" +
			"Content-Type: application/pgp-keys; name=\"old.asc\"\nContent-Disposition: attachment; filename=\"old.asc\"\n\n" + exp + "\n--m--\n"
		later := &PGP{Key: p.team, Now: func() time.Time { return time.Now().Add(48 * time.Hour) }}
		_, res := ingestRaw(t, d, later, raw)
		if !strings.Contains(events(t, d, res.Ref), "not offered: This key has expired.") {
			t.Errorf("events = %q", events(t, d, res.Ref))
		}
		if c, _ := d.KeyCandidates(context.Background(), entry(t, d, res.Ref).ReportID); len(c) != 0 {
			t.Errorf("expired key offered: %+v", c)
		}
	})
}

// TestPGPMailLockedThenUnlocked: mail that comes while the key is locked is
// kept as received and decrypted by the pass the unlock runs.
func TestPGPMailLockedThenUnlocked(t *testing.T) {
	p := newPGPPeers(t)
	d := mustOpenDB(t)
	ctx := context.Background()
	p.team.Lock()
	// Protected headers: the real subject is inside, the outer one is "...".
	ct := p.reporter.Run(crlfString("Subject: Admin bypass in /admin\n"+innerMIME), "--armor", "--sign", "--encrypt", "--recipient", "security@example.org")
	_, res := ingestRaw(t, d, p.pgp(), pgpMIME(head("...", "l1", ""), ct))
	m := entry(t, d, res.Ref)
	if got, want := wording.PGP(m.PGPState, m.PGPSignature), "encrypted; will be decrypted when the team key is unlocked"; got != want {
		t.Fatalf("label = %q, want %q", got, want)
	}
	if strings.Contains(m.Body, "admin panel") {
		t.Fatal("body holds plaintext while locked")
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if n, err := DecryptPending(ctx, d, p.pgp(), DefaultLimits, log); err != nil || n != 0 {
		t.Fatalf("pass while locked: n=%d err=%v", n, err)
	}
	if err := p.team.Unlock([]byte(teamPass)); err != nil {
		t.Fatal(err)
	}
	n, err := DecryptPending(ctx, d, p.pgp(), DefaultLimits, log)
	if err != nil || n != 1 {
		t.Fatalf("pass after unlock: n=%d err=%v", n, err)
	}
	m = entry(t, d, res.Ref)
	if !strings.Contains(m.Body, "admin panel at /admin") {
		t.Errorf("body = %q", m.Body)
	}
	// A new report's reporter has no key yet: the signature is checked
	// against none (TestMailTrustSignedPending has one bound).
	if got, want := wording.PGP(m.PGPState, m.PGPSignature), "encrypted · signed, key unknown"; got != want {
		t.Errorf("label = %q, want %q", got, want)
	}
	if got, want := fmt.Sprint(fileNames(m)), "[poc.py]"; got != want {
		t.Errorf("attachments = %s, want %s", got, want)
	}
	r, _ := timeline(t, d, res.Ref)
	if !strings.Contains(r.Description, "admin panel") {
		t.Errorf("description not updated: %q", r.Description)
	}
	if got, want := r.Title, "Admin bypass in /admin"; got != want {
		t.Errorf("title = %q, want %q (the protected subject)", got, want)
	}
	if n, _ := DecryptPending(ctx, d, p.pgp(), DefaultLimits, log); n != 0 {
		t.Errorf("second pass completed %d", n)
	}
}

// TestPGPMailIMAP runs encrypted mail through the real intake loop.
func TestPGPMailIMAP(t *testing.T) {
	p := newPGPPeers(t)
	srv, d := startMemIMAP(t, nil), mustOpenDB(t)
	in := newTestIntake(t, srv.addr, d)
	in.UsePGP(&PGP{Key: p.team, Known: d.KnownKeys})
	ct := p.reporter.Run(crlfString(innerMIME), "--armor", "--sign", "--encrypt", "--recipient", "security@example.org")
	var raw bytes.Buffer
	raw.WriteString(pgpMIME(head("Admin bypass", "imap1", "Date: Mon, 02 Nov 2026 10:00:00 +0000"), ct))
	srv.deliver(t, "INBOX", raw.String())
	if got, want := pollOnce(t, in).Reports, 1; got != want {
		t.Fatalf("reports = %d, want %d", got, want)
	}
	m := entry(t, d, "SEC-1")
	if !strings.Contains(m.Body, "admin panel") || m.PGPState != db.PGPDecrypted || m.PGPSignature != db.SigUnknownKey {
		t.Errorf("entry = %q %q %q", m.Body, m.PGPState, m.PGPSignature)
	}
}

// TestEncryptedWithoutTeamKey: a portal without a team key keeps encrypted
// mail, parts as attachments, and says why it is unreadable.
func TestEncryptedWithoutTeamKey(t *testing.T) {
	raw := pgpMIME(head("Encrypted", "n1", ""), "-----BEGIN PGP MESSAGE-----\n\nhQEMA...\n-----END PGP MESSAGE-----")
	m, err := Parse(strings.NewReader(crlfString(raw)), DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Omitted) != 1 || !strings.Contains(m.Omitted[0], "no team key") {
		t.Errorf("omitted = %q", m.Omitted)
	}
	if got, want := len(m.Files), 2; got != want {
		t.Errorf("kept %d parts, want %d", got, want)
	}
}

// TestPGPMailExpiredSigner: a signature by a saved key that has since
// expired is not taken as verified, and the timeline says why.
func TestPGPMailExpiredSigner(t *testing.T) {
	p := newPGPPeers(t)
	g := p.reporter
	g.Run("", "--quick-set-expire", g.Fingerprint, "1d")
	g.Run("", "--quick-set-expire", g.Fingerprint, "1d", "*")
	pub := g.Run("", "--armor", "--export", g.Fingerprint)
	d := mustOpenDB(t)
	signed := g.Run("Hello\n", "--clearsign")
	later := &PGP{Key: p.team, Now: func() time.Time { return time.Now().Add(48 * time.Hour) },
		Known: func(context.Context, db.KeyQuery) ([]string, error) { return []string{pub}, nil }}
	_, res := ingestRaw(t, d, later, head("Old", "x1", "Content-Type: text/plain")+"\n"+signed)
	m := entry(t, d, res.Ref)
	if got, want := wording.PGP(m.PGPState, m.PGPSignature), "signed, key unknown"; got != want {
		t.Errorf("label = %q, want %q", got, want)
	}
	if ev := events(t, d, res.Ref); !strings.Contains(ev, "This key has expired.") {
		t.Errorf("timeline does not say the key expired: %q", ev)
	}
}
