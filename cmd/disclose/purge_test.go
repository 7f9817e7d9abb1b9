package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin"
	"github.com/disclose/disclose/mailin/pgp"
)

// purgeMarkers are put in every field and mail part a reporter supplies;
// after retention none may be left anywhere in the data.
var purgeMarkers = map[string]string{
	"name":          "qzreporternamemk",
	"email":         "qzreporteremailmk",
	"key user id":   "qzkeyuseridmk",
	"title":         "qzwebtitlemk",
	"asset":         "qzwebassetmk",
	"description":   "qzwebdescriptionmk",
	"steps":         "qzwebstepsmk",
	"impact":        "qzwebimpactmk",
	"file name":     "qzwebfilenamemk",
	"file content":  "qzwebfilecontentmk",
	"status reply":  "qzstatusreplymk",
	"reply file":    "qzreplyfilecontentmk",
	"mail reply":    "qzmailreplymk",
	"mailed key":    "qzmailedkeyuidmk",
	"mail from":     "qzmailsendermk",
	"mail name":     "qzmailsendernamemk",
	"mail subject":  "qzmailsubjectmk",
	"mail header":   "qzmailheadermk",
	"mail msgid":    "qzmailmessageidmk",
	"mail body":     "qzmailbodymk",
	"mail file":     "qzmailfilenamemk",
	"mail content":  "qzmailfilecontentmk",
	"close reason":  "qzclosereasonmk",
	"staff reply":   "qzstaffreplymk",
	"ack subject":   "qzackquotemk",
	"duplicate hdr": "qzduplicatecopymk",
}

// markerForms are the ways a marker can sit in the file: as written, in
// other case, and base64-encoded at each of the three byte alignments (a
// mail part or an armored key holds it so), without the characters that
// depend on the bytes around it.
func markerForms(m string) []string {
	forms := []string{m, strings.ToUpper(m), strings.ToUpper(m[:1]) + m[1:]}
	for off := 0; off < 3; off++ {
		enc := base64.StdEncoding.EncodeToString(append(make([]byte, off), m...))
		start, end := 0, (off+len(m))/3*4
		if off > 0 {
			start = 4
		}
		forms = append(forms, enc[start:end])
	}
	return forms
}

// leaksIn returns what of the markers (and extra strings, as is) the files
// hold, naming the file and the form found.
func leaksIn(t *testing.T, markers map[string]string, extra []string, files ...string) []string {
	t.Helper()
	var found []string
	for _, name := range files {
		buf, err := os.ReadFile(name)
		if errors.Is(err, os.ErrNotExist) {
			continue
		} else if err != nil {
			t.Fatal(err)
		}
		for what, m := range markers {
			for _, f := range markerForms(m) {
				if bytes.Contains(buf, []byte(f)) {
					found = append(found, filepath.Base(name)+": "+what+" as "+f)
					break
				}
			}
		}
		for _, s := range extra {
			if bytes.Contains(buf, []byte(s)) {
				found = append(found, filepath.Base(name)+": "+s)
			}
		}
	}
	return found
}

// ftsTerms lists the terms of the on-disk search index that look like a
// marker: the index stores terms prefix-compressed, so a byte search alone
// could miss one.
func ftsTerms(t *testing.T, path string) []string {
	t.Helper()
	conn, err := sql.Open("sqlite3", "file:"+path+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetMaxOpenConns(1)
	if _, err := conn.Exec(`CREATE VIRTUAL TABLE temp.vocab USING fts5vocab(main, reports_fts, row)`); err != nil {
		t.Fatal(err)
	}
	rows, err := conn.Query(`SELECT term FROM temp.vocab WHERE term LIKE 'qz%'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var terms []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		terms = append(terms, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return terms
}

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
	d.Notifier = notifier
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
	if err := d.AddReporterMessage(ctx, w.web, "More: "+m["status reply"], []db.NewAttachment{{Filename: "more.txt",
		ContentType: "text/plain", Data: []byte(m["reply file"])}}, db.SourceWeb, db.DefaultLimits); err != nil {
		t.Fatal(err)
	}
	r, err := d.ReportByID(ctx, w.web)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Reply(ctx, w.web, r.Version, staff, "Thanks, "+m["staff reply"], nil, db.DefaultLimits); err != nil {
		t.Fatal(err)
	}

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
	if res := ingestRawMail(t, d, pgpIn, "Received: from "+m["duplicate hdr"]+".example.net\r\n"+w.rawMail, 3); res.Kind != db.MailDuplicate {
		t.Fatalf("the copy became %+v, want a duplicate", res)
	}
	if _, err := d.SendDigests(ctx, 0, notifier.Digest); err != nil {
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
	res, err := d.IngestMail(ctx, m, db.IngestOptions{Ack: func(r *db.Report, in *db.InboundMail) *db.OutMail {
		return &db.OutMail{ReportID: r.ID, Kind: mailin.MailAck, MessageID: mailin.NewMessageID("security.example.org"), InReplyTo: in.MessageID,
			To: in.FromEmail, Subject: "Re: " + in.Subject, Body: "We received " + purgeMarkers["ack subject"] + " " + in.Subject}
	}})
	if err != nil {
		t.Fatal(err)
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

// TestPurgeLeavesNothingOfTheReporter: a marker in every field and mail part
// a reporter supplied (name, address, key user IDs, report text, files and
// their names, a status-page reply, a mailed reply and key, the raw mail's
// headers and body, a duplicate copy) is found in the database before
// retention and, after `disclose purge` anonymised (or, as spam, deleted)
// the reports while the portal kept running, in no form in the database
// file, its write-ahead log, its search index or a backup made afterwards;
// nor are the fingerprints of the reporter's keys.
func TestPurgeLeavesNothingOfTheReporter(t *testing.T) {
	for _, tc := range []struct {
		name    string
		closeAs db.State
		rule    []string
		want    string
	}{
		{"Anonymise", db.StateInformative, []string{"--anonymise-days", "30"}, "2 anonymised"},
		{"DeleteSpam", db.StateSpam, []string{"--spam-days", "7"}, "2 deleted"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			w := newPurgeWorld(t, tc.closeAs)
			dbFile := filepath.Join(w.data, "disclose.db")
			before := leaksIn(t, purgeMarkers, w.fingerprints, dbFile, dbFile+"-wal")
			for what, m := range purgeMarkers {
				if !strings.Contains(strings.Join(before, "\n"), ": "+what+" as ") {
					t.Fatalf("the %s (%s) is not in the database before the purge: the test cannot see it", what, m)
				}
			}
			if len(ftsTerms(t, dbFile)) == 0 {
				t.Fatal("no marker in the search index before the purge")
			}

			if out, err := runCLI(t, append([]string{"retention", "set", "--data", w.data}, tc.rule...)...); err != nil {
				t.Fatalf("retention set: %v\n%s", err, out)
			}
			// The portal keeps running (w.d stays open), as the daily job would.
			out, err := runCLI(t, "purge", "--data", w.data)
			if err != nil || !strings.Contains(out, tc.want) {
				t.Fatalf("purge: %v\n%s", err, out)
			}
			if leaks := leaksIn(t, purgeMarkers, w.fingerprints, dbFile, dbFile+"-wal"); len(leaks) > 0 {
				t.Errorf("after the purge the database still holds:\n  %s", strings.Join(leaks, "\n  "))
			}
			if terms := ftsTerms(t, dbFile); len(terms) > 0 {
				t.Errorf("after the purge the search index still holds %v", terms)
			}
			backup := filepath.Join(t.TempDir(), "backup.db")
			if out, err := runCLI(t, "backup", "--data", w.data, backup); err != nil {
				t.Fatalf("backup: %v\n%s", err, out)
			}
			if leaks := leaksIn(t, purgeMarkers, w.fingerprints, backup); len(leaks) > 0 {
				t.Errorf("a backup made after the purge holds:\n  %s", strings.Join(leaks, "\n  "))
			}

			// What the portal shows agrees: no raw mail to download.
			if tc.closeAs == db.StateSpam {
				if _, err := w.d.ReportByID(ctx, w.web); db.ErrorCode(err) != db.ENOTFOUND {
					t.Errorf("the spam report is still there: %v", err)
				}
				return
			}
			for _, id := range []int64{w.web, w.mail} {
				r, err := w.d.ReportByID(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if r.Title != db.AnonymisedTitle || r.State != tc.closeAs {
					t.Errorf("anonymised report: title %q state %s", r.Title, r.State)
				}
				raw, err := w.d.RawMailEntries(ctx, id)
				if err != nil || len(raw) != 0 {
					t.Errorf("raw mail of an anonymised report: %v, %v", raw, err)
				}
			}
		})
	}
}
