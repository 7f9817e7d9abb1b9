package db_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin"
)

// TestSealedNotes: the OpenPGP note of a mailed entry and the note of a
// kept mail (a file's name, an error quoting the mail) are sealed with
// sealing on, read back while unlocked and show the sealed placeholder
// while locked. A clear note that an older version left in a sealed
// database counts as a plaintext row (serve refuses to start on it) until
// disclose seal converts it; unseal brings the notes back in clear.
func TestSealedNotes(t *testing.T) {
	ctx := context.Background()
	d := MustOpenDB(t)
	key := newTeamKey(t)
	d.SetSealer(key, true)
	if err := d.MarkSealed(ctx); err != nil {
		t.Fatal(err)
	}
	const pgpNote = `The attachment "acme-sso-bypass-exploit.py.pgp" is encrypted to a key other than the team key and cannot be decrypted.`
	const reason = `mailin: parse: malformed header line "X-Acme-SSO-Bypass"`
	noted := inboundMail(1, "<noted@researcher.test>", "erin@researcher.test", "noted", "noted body")
	noted.PGP = db.MailPGP{State: db.PGPFailed, Note: pgpNote}
	res, err := mailin.IngestMail(ctx, d, noted, mailin.IngestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.SetAsideMail(ctx, inboundMail(2, "<aside@researcher.test>", "dave@researcher.test", "aside", "aside"), reason, 3); err != nil {
		t.Fatal(err)
	}
	notes := func() (string, string) {
		t.Helper()
		tl, err := d.Timeline(ctx, res.ReportID, false)
		if err != nil {
			t.Fatal(err)
		}
		kept, err := d.KeptMail(ctx, 10)
		if err != nil || len(kept) != 1 {
			t.Fatalf("kept mail %v, %v", kept, err)
		}
		return tl[0].PGPNote, kept[0].Note
	}
	if p, r := notes(); p != pgpNote || r != reason {
		t.Fatalf("unlocked: notes %q and %q", p, r)
	}
	key.Lock()
	if p, r := notes(); p != db.SealedText || r != db.SealedText {
		t.Fatalf("locked: notes %q and %q, want the sealed placeholder", p, r)
	}

	t.Run("OlderClearNotes", func(t *testing.T) {
		rw, err := sql.Open("sqlite3", "file:"+d.Path+"?_busy_timeout=5000")
		if err != nil {
			t.Fatal(err)
		}
		defer rw.Close()
		if _, err := rw.Exec(`UPDATE messages SET pgp_note = ?, pgp_note_sealed = 0 WHERE pgp_note <> ''`, pgpNote); err != nil {
			t.Fatal(err)
		}
		if _, err := rw.Exec(`UPDATE mail_raw SET note = ?, note_sealed = 0 WHERE note <> ''`, reason); err != nil {
			t.Fatal(err)
		}
		p, err := d.PlainRows(ctx)
		if err != nil || p.Messages != 1 || p.RawMail != 1 {
			t.Fatalf("plaintext rows %+v, %v; want the entry and the kept mail with clear notes", p, err)
		}
		if err := d.SealExisting(ctx, nil); err != nil {
			t.Fatal(err)
		}
		if p, err := d.PlainRows(ctx); err != nil || p.Total() != 0 {
			t.Fatalf("after seal: plaintext rows %+v, %v", p, err)
		}
		if fileHas(t, d, "acme-sso-bypass") {
			t.Fatal("the file name is in the database file or WAL after seal")
		}
		if err := key.Unlock([]byte(sealPassphrase)); err != nil {
			t.Fatal(err)
		}
		if p, r := notes(); p != pgpNote || r != reason {
			t.Fatalf("sealed by disclose seal: notes %q and %q", p, r)
		}
	})
	t.Run("Unseal", func(t *testing.T) {
		if err := d.UnsealExisting(ctx, nil); err != nil {
			t.Fatal(err)
		}
		key.Lock()
		if p, r := notes(); p != pgpNote || r != reason {
			t.Fatalf("unsealed: notes %q and %q", p, r)
		}
	})
}
