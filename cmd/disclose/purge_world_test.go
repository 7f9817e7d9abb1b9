package main

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"io"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin"
	"github.com/disclose/disclose/mailin/pgp"
)

// purgeWorld is a portal with one report of each kind a reporter can make,
// with a marker in everything they supplied.
type purgeWorld struct {
	data         string
	d            *db.DB
	web, mail    int64
	fingerprints []string // of the reporter's keys, in both cases
	rawMail      string   // the mail that opened the mailed report
}

func newPurgeWorld(t *testing.T, closeAs db.State) *purgeWorld {
	t.Helper()
	ctx := context.Background()
	m := purgeMarkers
	w := &purgeWorld{data: t.TempDir()}
	d, err := db.Open(ctx, filepath.Join(w.data, "disclose.db"))
	if err != nil {
		t.Fatal(err)
	}
	w.d = d
	t.Cleanup(func() { d.Close() })
	past := time.Now().UTC().AddDate(-1, 0, 0)
	d.Now = func() time.Time { return past }
	base, _ := url.Parse("https://security.example.org")
	notifier := &mailin.Notifier{BaseURL: base, Domain: "security.example.org", ReplyAddress: "security@example.org"}
	// The mail of each action is composed right after it, as serve's event
	// worker does.
	events := &mailin.Events{Store: d, Notifier: notifier}
	drain := func() {
		t.Helper()
		if _, err := events.Drain(ctx); err != nil {
			t.Fatal(err)
		}
	}
	p, err := d.DefaultProgram(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Staff hear of everything with titles: one mail per event, or a digest.
	var staff db.Actor
	for i, mode := range []db.NotifyMode{db.NotifyEvery, db.NotifyDigest} {
		u, err := d.CreateUser(ctx, &db.NewUser{Email: []string{"every@example.org", "digest@example.org"}[i], Name: "Staff",
			Role: db.RoleTriager, ProgramIDs: []int64{p.ID}}, db.ActorSystem)
		if err != nil {
			t.Fatal(err)
		}
		if err := d.SetNotifyPrefs(ctx, &db.NotifyPrefs{UserID: u.ID, Mode: mode, IncludeTitle: true}, db.ActorSystem); err != nil {
			t.Fatal(err)
		}
		staff = db.Actor{UserID: u.ID, Name: u.Email}
	}

	// The reporter's own key (given in the web form, signing their mail) and
	// one they mail in later.
	email := m["email"] + "@example.net"
	keyA, err := pgp.Generate(pgp.GenerateOptions{Name: m["key user id"], Email: email}, []byte("reporter passphrase"), past)
	if err != nil {
		t.Fatal(err)
	}
	keyB, err := pgp.Generate(pgp.GenerateOptions{Name: m["mailed key"], Email: email}, []byte("reporter passphrase"), past)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []*pgp.TeamKey{keyA, keyB} {
		fp := k.Info().Fingerprint
		w.fingerprints = append(w.fingerprints, fp, strings.ToLower(fp))
	}
	armoredA, _ := keyA.ArmoredPublic()
	armoredB, _ := keyB.ArmoredPublic()
	if err := keyA.Unlock([]byte("reporter passphrase")); err != nil {
		t.Fatal(err)
	}

	// A web report, a reply on the status page, a triager's reply.
	rc, err := d.CreateReport(ctx, &db.NewReport{ProgramID: p.ID, Source: db.SourceWeb, Title: "XSS " + m["title"],
		Asset: m["asset"], Description: "The " + m["description"] + " field.", Steps: "1. " + m["steps"], Impact: m["impact"],
		Reporter:    db.Reporter{Name: m["name"], Email: email, PGPKey: armoredA, PGPFingerprint: keyA.Info().Fingerprint, Credit: db.CreditName},
		Attachments: []db.NewAttachment{{Filename: m["file name"] + ".txt", ContentType: "text/plain", Data: []byte("proof " + m["file content"])}}})
	if err != nil {
		t.Fatal(err)
	}
	w.web = rc.ReportID
	drain()
	if err := d.AddReporterMessage(ctx, w.web, "More: "+m["status reply"], []db.NewAttachment{{Filename: "more.txt",
		ContentType: "text/plain", Data: []byte(m["reply file"])}}, db.SourceWeb, db.DefaultLimits); err != nil {
		t.Fatal(err)
	}
	drain()
	r, err := d.ReportByID(ctx, w.web)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Reply(ctx, w.web, r.Version, staff, "Thanks, "+m["staff reply"], nil, db.DefaultLimits); err != nil {
		t.Fatal(err)
	}
	drain()

	// A reply by mail to our acknowledgement, signed with the reporter's key
	// and carrying another key of theirs.
	ackID := queryString(t, d.Path, `SELECT message_id FROM outbox WHERE report_id = ? AND kind = 'ack'`, w.web)
	inner := "Content-Type: multipart/mixed; boundary=\"inner\"\r\n\r\n--inner\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
		"Also " + m["mail reply"] + ".\r\n--inner\r\nContent-Type: application/pgp-keys; name=\"key.asc\"\r\n" +
		"Content-Disposition: attachment; filename=\"key.asc\"\r\n\r\n" + crlf(armoredB) + "\r\n--inner--\r\n"
	sig, micalg, err := keyA.SignDetached([]byte(inner))
	if err != nil {
		t.Fatal(err)
	}
	reply := "From: " + m["name"] + " <" + email + ">\r\nTo: security@example.org\r\nSubject: Re: your report\r\n" +
		"Message-ID: <" + m["mail reply"] + ".1@example.net>\r\nIn-Reply-To: " + ackID + "\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/signed; micalg=" + micalg + "; protocol=\"application/pgp-signature\"; boundary=\"sig\"\r\n\r\n" +
		"--sig\r\n" + inner + "\r\n--sig\r\nContent-Type: application/pgp-signature\r\n\r\n" + crlf(sig) + "\r\n--sig--\r\n"
	pgpIn := &mailin.PGP{Known: d.KnownKeys}
	if res := ingestRawMail(t, d, pgpIn, reply, 1); res.ReportID != w.web {
		t.Fatalf("the mailed reply became %+v, want a reply on report %d", res, w.web)
	}
	drain()
	tl, err := d.Timeline(ctx, w.web, false)
	if err != nil {
		t.Fatal(err)
	}
	if e := tl[len(tl)-1]; e.PGPSignature != db.SigVerified || !strings.EqualFold(e.PGPSigner, keyA.Info().Fingerprint) {
		t.Fatalf("the mailed reply: signature %q by %q, want verified by the reporter's key", e.PGPSignature, e.PGPSigner)
	}
	cands, err := d.KeyCandidates(ctx, w.web)
	if err != nil || len(cands) != 1 {
		t.Fatalf("key candidates = %v, %v; want the mailed key", cands, err)
	}
	if err := d.AcceptKeyCandidate(ctx, w.web, cands[0].ID, staff); err != nil {
		t.Fatal(err)
	}

	// A report by mail, with an attachment, and a copy of it with the same
	// Message-ID that intake keeps as a duplicate.
	w.rawMail = "From: \"" + m["mail name"] + "\" <" + m["mail from"] + "@example.net>\r\nTo: security@example.org\r\n" +
		"Subject: Bug " + m["mail subject"] + "\r\nMessage-ID: <" + m["mail msgid"] + "@example.net>\r\nX-Mailer: " + m["mail header"] + "\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
		"Hello, " + m["mail body"] + ".\r\n--b\r\nContent-Type: application/octet-stream\r\n" +
		"Content-Disposition: attachment; filename=\"" + m["mail file"] + ".bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		base64.StdEncoding.EncodeToString([]byte("secret "+m["mail content"]+" data")) + "\r\n--b--\r\n"
	res := ingestRawMail(t, d, pgpIn, w.rawMail, 2)
	if res.Kind != db.MailReport {
		t.Fatalf("the mail became %+v, want a report", res)
	}
	w.mail = res.ReportID
	drain()
	if res := ingestRawMail(t, d, pgpIn, "Received: from "+m["duplicate hdr"]+".example.net\r\n"+w.rawMail, 3); res.Kind != db.MailDuplicate {
		t.Fatalf("the copy became %+v, want a duplicate", res)
	}
	if _, err := (&mailin.Jobs{Store: d, Notifier: notifier}).SendDigests(ctx, 0); err != nil {
		t.Fatal(err)
	}

	for _, id := range []int64{w.web, w.mail} {
		r, err := d.ReportByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if err := d.ChangeState(ctx, id, r.Version, staff, db.StateChange{To: closeAs, Reason: "Closed: " + m["close reason"]}); err != nil {
			t.Fatal(err)
		}
	}
	drain()
	return w
}

// ingestRawMail parses a raw mail as intake does and stores it, with an
// acknowledgement that quotes the subject as intake's does.
func ingestRawMail(t *testing.T, d *db.DB, p *mailin.PGP, raw string, uid uint32) *db.IngestResult {
	t.Helper()
	ctx := context.Background()
	m, err := mailin.ParsePGP(ctx, strings.NewReader(raw), mailin.DefaultLimits, p)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(raw))
	m.OpenRaw, m.RawSize, m.RawSHA256 = func() io.Reader { return strings.NewReader(raw) }, int64(len(raw)), hex.EncodeToString(sum[:])
	m.Mailbox, m.UIDValidity, m.UID = "INBOX", 1, uid
	res, err := mailin.IngestMail(ctx, d, m, mailin.IngestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Kind == db.MailReport && !res.Again {
		// An acknowledgement that quotes the subject (intake's does not):
		// the purge must take it with the report.
		if err := d.Update(ctx, func(ctx context.Context, tx *db.Tx) error {
			return tx.EnqueueAck(ctx, &db.OutMail{ReportID: res.ReportID, Kind: mailin.MailAck, MessageID: mailin.NewMessageID("security.example.org"),
				InReplyTo: m.MessageID, To: m.FromEmail, Subject: "Re: " + m.Subject, Body: "We received " + purgeMarkers["ack subject"] + " " + m.Subject})
		}); err != nil {
			t.Fatal(err)
		}
	}
	return res
}

func crlf(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "\r\n")
}

func queryString(t *testing.T, path, q string, args ...any) string {
	t.Helper()
	conn, err := sql.Open("sqlite3", "file:"+path+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var s string
	if err := conn.QueryRow(q, args...).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}
