package db_test

import (
	"context"
	"database/sql"
	"encoding/base64"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin"
	"github.com/disclose/disclose/mailin/pgp"
)

// sealedText are the text columns sealed mode seals, per table, with the
// rows they are sealed in (anonymised reports keep only a fixed title).
var sealedText = []struct{ table, cols, where string }{
	{"reports", "title, asset, description, steps, impact, credit, close_reason", "anonymised_at IS NULL"},
	{"reporters", "name, email, pgp_key", "1"},
	{"messages", "body", "1"},
	{"mail_raw", "from_addr, subject", "1"},
	{"outbox", "to_addr, subject, body", "1"},
	{"pgp_key_candidates", "armored", "1"},
	// Notes name files, quote errors and what a mail said of itself.
	{"messages", "pgp_note", "1"},
	{"mail_raw", "note", "1"},
	{"mail_failures", "last_error", "1"},
}

// sealedBlobs are the byte columns, each value or each id's chunks joined
// one OpenPGP message.
var sealedBlobs = []struct{ name, query string }{
	{"attachment_data", `SELECT attachment_id, data FROM attachment_data WHERE length(data) > 0`},
	{"attachment_chunks", `SELECT attachment_id, group_concat(data, '') FROM (SELECT attachment_id, data FROM attachment_chunks ORDER BY attachment_id, seq) GROUP BY attachment_id`},
	{"mail_raw_chunks", `SELECT raw_id, group_concat(data, '') FROM (SELECT raw_id, data FROM mail_raw_chunks ORDER BY raw_id, seq) GROUP BY raw_id`},
}

// checkAllSealed reads every sealed column of the database file and fails
// on any non-empty value that is not an OpenPGP message the team key opens:
// whatever write path put it there, plaintext cannot hide from it. key must
// be unlocked. It returns how many values it checked.
func checkAllSealed(t *testing.T, d *db.DB, key *pgp.TeamKey) int {
	t.Helper()
	conn, err := sql.Open("sqlite3", "file:"+d.Path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	opens := func(what string, b []byte) {
		t.Helper()
		if _, err := key.Open(b); err != nil {
			t.Errorf("%s is not sealed to the team key (%v): %.60q", what, err, b)
		}
	}
	n := 0
	for _, c := range sealedText {
		cols := strings.Split(c.cols, ", ")
		rows, err := conn.Query(`SELECT rowid, ` + c.cols + ` FROM ` + c.table + ` WHERE ` + c.where)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id int64
			vals := make([]string, len(cols))
			dst := []any{&id}
			for i := range vals {
				dst = append(dst, &vals[i])
			}
			if err := rows.Scan(dst...); err != nil {
				t.Fatal(err)
			}
			for i, v := range vals {
				if v == "" {
					continue
				}
				n++
				what := c.table + "." + cols[i] + " of row " + itoa(id)
				b, err := base64.StdEncoding.DecodeString(v)
				if err != nil {
					t.Errorf("%s is not sealed: %.60q", what, v)
					continue
				}
				opens(what, b)
			}
		}
		rows.Close()
	}
	for _, c := range sealedBlobs {
		rows, err := conn.Query(c.query)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id int64
			var b []byte
			if err := rows.Scan(&id, &b); err != nil {
				t.Fatal(err)
			}
			n++
			opens(c.name+" of "+itoa(id), b)
		}
		rows.Close()
	}
	return n
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestSealedColumnsSweep runs the write paths of the portal against a sealed
// database (web form, status page, mail intake with attachments, keys and
// encrypted mail decrypted later with a protected subject, mail set aside
// and bounces, staff replies, notes, field edits, state changes, accepting a
// key, outgoing mail) and then checks every sealed column of every row. A
// new write path that forgets to seal fails here.
func TestSealedColumnsSweep(t *testing.T) {
	ctx := context.Background()
	d, _ := mustOpenMailDB(t)
	key := newTeamKey(t)
	key.Lock() // intake needs only the public key
	d.SetSealer(key, true)
	if err := d.MarkSealed(ctx); err != nil {
		t.Fatal(err)
	}
	p, _ := d.DefaultProgram(ctx)
	staff, err := d.CreateUser(ctx, &db.NewUser{Email: "tina@example.org", Name: "Tina", Role: db.RoleAdmin,
		Password: "correct horse battery staple"}, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	actor := staff.Actor("192.0.2.1")
	reporterKey, err := pgp.Generate(pgp.GenerateOptions{Name: "Alice", Email: "alice@example.org"}, []byte("reporter passphrase"), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	reporterPub, _ := reporterKey.ArmoredPublic()
	file := func(name string) []db.NewAttachment {
		return []db.NewAttachment{{Filename: name, ContentType: "text/plain", Data: []byte("file " + name)}}
	}
	const marker = "qzsweepmarker"

	// Intake while locked: web form, status page, mail.
	in := validReport(p.ID)
	in.Reporter.PGPKey = reporterPub
	rc, err := d.CreateReport(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.AddReporterMessage(ctx, rc.ReportID, "more from the reporter", file("more.txt"), db.SourceWeb, db.DefaultLimits); err != nil {
		t.Fatal(err)
	}
	mailed := inboundMail(1, "<m1@researcher.test>", "bob@researcher.test", "mailed "+marker, "mailed body "+marker)
	mailed.Files = file("mailed.txt")
	mailed.PGP.Keys = []db.KeyCandidate{{Fingerprint: "0123456789ABCDEF0123456789ABCDEF01234567", Armored: reporterPub, Origin: "autocrypt"}}
	mres, err := mailin.IngestMail(ctx, d, mailed, mailin.IngestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	reply := inboundMail(2, "<m2@researcher.test>", "bob@researcher.test", "Re: mailed", "reply "+marker)
	reply.InReplyTo = []string{"<m1@researcher.test>"}
	if _, err := mailin.IngestMail(ctx, d, reply, mailin.IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	ct, _, err := key.EncryptTo([]byte("Content-Type: text/plain; protected-headers=\"v1\"\r\nSubject: protected "+marker+"\r\n\r\nsecret body "+marker+"\r\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	raw := "From: carol@researcher.test\r\nTo: security@example.org\r\nSubject: ...\r\nMessage-ID: <enc@researcher.test>\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n\r\n" +
		"--b\r\nContent-Type: application/octet-stream\r\n\r\n" + strings.ReplaceAll(ct, "\n", "\r\n") + "\r\n--b--\r\n"
	reader := &mailin.PGP{Key: key, Known: d.KnownKeys, Now: d.Now}
	enc, err := mailin.ParsePGP(ctx, strings.NewReader(raw), mailin.DefaultLimits, reader)
	if err != nil {
		t.Fatal(err)
	}
	enc.Mailbox, enc.UIDValidity, enc.UID = "INBOX", 7, 3
	enc.OpenRaw, enc.RawSize, enc.RawSHA256 = func() io.Reader { return strings.NewReader(raw) }, int64(len(raw)), strings.Repeat("a", 64)
	eres, err := mailin.IngestMail(ctx, d, enc, mailin.IngestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	aside := inboundMail(4, "<aside@researcher.test>", "dave@researcher.test", "aside "+marker, "aside "+marker)
	if err := d.SetAsideMail(ctx, aside, `mailin: parse: malformed header line "X-`+marker+`"`, 3); err != nil {
		t.Fatal(err)
	}
	if _, err := d.RecordMailFailure(ctx, "INBOX", 7, 9, `mailin: attachment "`+marker+`-dump.bin": unexpected EOF`); err != nil {
		t.Fatal(err)
	}
	// Notes of a mail as the gateway writes them: what was left encrypted
	// and what was left out name the files, which are report content.
	noted := inboundMail(5, "<noted@researcher.test>", "erin@researcher.test", "noted", "noted body")
	noted.PGP = db.MailPGP{State: db.PGPFailed, Note: `The attachment "` + marker + `-exploit.py.pgp" is encrypted to a key other than the team key and cannot be decrypted.`}
	noted.Omitted = []string{`The attachment "` + marker + `-core.bin" was not stored: each attachment may be at most 25 MB.`}
	if _, err := mailin.IngestMail(ctx, d, noted, mailin.IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	auto := inboundMail(6, "<auto@researcher.test>", "frank@researcher.test", "Out of office", "away")
	auto.Auto = "report (" + marker + ")"
	if _, err := mailin.IngestMail(ctx, d, auto, mailin.IngestOptions{}); err != nil {
		t.Fatal(err)
	}

	// With the key unlocked: the pending mail, triage, outgoing mail.
	if err := key.Unlock([]byte(sealPassphrase)); err != nil {
		t.Fatal(err)
	}
	if n, err := mailin.DecryptPending(ctx, d, reader, mailin.DefaultLimits, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil || n != 1 {
		t.Fatalf("decrypted %d pending mails, %v; want 1", n, err)
	}
	if er, err := d.ReportByID(ctx, eres.ReportID); err != nil || er.Title != "protected "+marker {
		t.Fatalf("the decrypted report's title = %q, %v; want its protected subject", er.Title, err)
	}
	r, err := d.ReportByID(ctx, rc.ReportID)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Reply(ctx, r.ID, r.Version, actor, "reply "+marker, file("fix.diff"), db.DefaultLimits); err != nil {
		t.Fatal(err)
	}
	r, _ = d.ReportByID(ctx, r.ID)
	if err := d.AddNote(ctx, r.ID, r.Version, actor, "note "+marker, file("note.txt"), db.DefaultLimits); err != nil {
		t.Fatal(err)
	}
	r, _ = d.ReportByID(ctx, r.ID)
	if err := d.EditFields(ctx, r.ID, r.Version, actor, db.FieldEdit{Asset: "asset " + marker, CWE: r.CWE, CVSSVector: r.CVSSVector, Credit: "credit " + marker}); err != nil {
		t.Fatal(err)
	}
	r, _ = d.ReportByID(ctx, r.ID)
	if err := d.ChangeState(ctx, r.ID, r.Version, actor, db.StateChange{To: db.StateInformative, Reason: "reason " + marker}); err != nil {
		t.Fatal(err)
	}
	cands, err := d.KeyCandidates(ctx, mres.ReportID)
	if err != nil || len(cands) != 1 {
		t.Fatalf("key candidates %v, %v", cands, err)
	}
	if err := d.AcceptKeyCandidate(ctx, mres.ReportID, cands[0].ID, actor); err != nil {
		t.Fatal(err)
	}

	if n := checkAllSealed(t, d.DB, key); n < 40 {
		t.Fatalf("checked only %d sealed values: the sweep is not looking", n)
	}
	if err := d.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	if fileHas(t, d.DB, marker) {
		t.Fatal("the marker is in the database file or WAL")
	}
	if fileHas(t, d.DB, "alice@example.org") {
		t.Fatal("the reporter's address is in the database file or WAL")
	}
}
