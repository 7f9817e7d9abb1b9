package db_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin"
)

// TestSealedDatabase: sealing is a property of the database. Marking needs
// sealing on and no plaintext rows; once marked, a handle opened later and
// a handle opened before both refuse to write until they seal; unseal
// removes the mark only at its end.
func TestSealedDatabase(t *testing.T) {
	ctx := context.Background()
	d := MustOpenDB(t)
	p, _ := d.DefaultProgram(ctx)
	if _, err := d.CreateReport(ctx, validReport(p.ID)); err != nil {
		t.Fatal(err)
	}
	// A second process, opened before the database is sealed, never seals.
	other, err := db.Open(ctx, d.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	key := newTeamKey(t)

	t.Run("ErrMarkWithoutSealing", func(t *testing.T) {
		if err := d.MarkSealed(ctx); err == nil {
			t.Fatal("marked sealed without a sealer")
		}
	})
	d.SetSealer(key, true)
	t.Run("ErrMarkOverPlaintext", func(t *testing.T) {
		err := d.MarkSealed(ctx)
		if db.ErrorCode(err) != db.ECONFLICT || !strings.Contains(err.Error(), "1 reports") {
			t.Fatalf("err = %v, want a conflict naming the plaintext report", err)
		}
		if d.SealedDatabase() {
			t.Fatal("marked although refused")
		}
	})
	t.Run("SealExistingMarks", func(t *testing.T) {
		if err := d.SealExisting(ctx, nil); err != nil {
			t.Fatal(err)
		}
		if !d.SealedDatabase() {
			t.Fatal("disclose seal did not mark the database sealed")
		}
		if n, err := d.PlainRows(ctx); err != nil || n.Total() != 0 {
			t.Fatalf("plaintext rows after seal: %+v, %v", n, err)
		}
	})
	t.Run("ErrWriteWithoutSealing", func(t *testing.T) {
		later, err := db.Open(ctx, d.Path)
		if err != nil {
			t.Fatal(err)
		}
		defer later.Close()
		if !later.SealedDatabase() {
			t.Fatal("a handle opened after sealing does not see it")
		}
		for name, h := range map[string]*db.DB{"opened after": later, "opened before": other} {
			in := validReport(p.ID)
			in.Title = "qzmarkerunsealedwrite"
			if _, err := h.CreateReport(ctx, in); !errors.Is(err, db.ErrSealedDatabase) {
				t.Fatalf("handle %s: err = %v, want ErrSealedDatabase", name, err)
			}
		}
		if fileHas(t, d, "qzmarkerunsealedwrite") {
			t.Fatal("a refused write reached the file")
		}
		later.SetSealer(key, true)
		if _, err := later.CreateReport(ctx, validReport(p.ID)); err != nil {
			t.Fatalf("a sealing handle cannot write: %v", err)
		}
	})
	t.Run("UnsealClears", func(t *testing.T) {
		if err := key.Unlock([]byte(sealPassphrase)); err != nil {
			t.Fatal(err)
		}
		if err := d.UnsealExisting(ctx, nil); err != nil {
			t.Fatal(err)
		}
		if d.SealedDatabase() {
			t.Fatal("still marked sealed after unseal")
		}
		if _, err := other.CreateReport(ctx, validReport(p.ID)); err != nil {
			t.Fatalf("a plaintext handle cannot write after unseal: %v", err)
		}
	})
}

// TestSealExistingLeftovers: rows a process that did not seal wrote under a
// report already sealed (before sealing was a property of the database: a
// mailin run without the key) are found as plaintext and sealed by
// disclose seal, not left in the file.
func TestSealExistingLeftovers(t *testing.T) {
	ctx := context.Background()
	d := MustOpenDB(t)
	key := newTeamKey(t)
	d.SetSealer(key, true)
	first := inboundMail(1, "<first@researcher.test>", "ann@researcher.test", "Open redirect", "sealed text")
	res, err := mailin.IngestMail(ctx, d, first, mailin.IngestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	const marker = "qzmarkerleftover"
	d.SetSealer(key, false) // as the mailin of old did, on a database not marked
	reply := inboundMail(2, "<second@researcher.test>", "ann@researcher.test", "Re: Open redirect", "more "+marker)
	reply.InReplyTo = []string{"<first@researcher.test>"}
	reply.Files = []db.NewAttachment{{Filename: "poc.txt", ContentType: "text/plain", Data: []byte("poc " + marker)}}
	reply.PGP.Keys = []db.KeyCandidate{{Fingerprint: "0123456789ABCDEF0123456789ABCDEF01234567", Armored: "key of " + marker, Origin: "attachment"}}
	rep, err := mailin.IngestMail(ctx, d, reply, mailin.IngestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.ReportID != res.ReportID {
		t.Fatalf("the reply opened report %d, want a reply on %d", rep.ReportID, res.ReportID)
	}
	d.SetSealer(key, true)
	plain, err := d.PlainRows(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if plain.Messages == 0 || plain.RawMail == 0 || plain.Attachments == 0 || plain.KeyCandidates == 0 {
		t.Fatalf("plaintext rows = %+v, want the reply's entry, raw mail, attachment and key", plain)
	}
	if !fileHas(t, d, marker) {
		t.Fatal("the reply is not in the file: the check below could not fail")
	}
	if err := d.SealExisting(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if plain, _ = d.PlainRows(ctx); plain.Total() != 0 {
		t.Fatalf("plaintext rows after seal = %+v", plain)
	}
	if fileHas(t, d, marker) {
		t.Fatal("disclose seal left the reply's plaintext in the file or WAL")
	}
	if err := key.Unlock([]byte(sealPassphrase)); err != nil {
		t.Fatal(err)
	}
	tl, err := d.Timeline(ctx, res.ReportID, false)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, m := range tl {
		found = found || strings.Contains(m.Body, marker)
	}
	if !found {
		t.Fatal("the sealed reply does not open")
	}
}
