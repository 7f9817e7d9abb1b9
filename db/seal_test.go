package db_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin/pgp"
)

const sealPassphrase = "seal test passphrase"

func newTeamKey(tb testing.TB) *pgp.TeamKey {
	tb.Helper()
	k, err := pgp.Generate(pgp.GenerateOptions{Name: "Security team", Email: "security@example.org"}, []byte(sealPassphrase), time.Now())
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// fileHas reports whether the database file or its WAL holds s.
func fileHas(t *testing.T, d *db.DB, s string) bool {
	t.Helper()
	for _, name := range []string{d.Path, d.Path + "-wal"} {
		buf, err := os.ReadFile(name)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		if bytes.Contains(buf, []byte(s)) {
			return true
		}
	}
	return false
}

func queueRefs(t *testing.T, d *db.DB, search string) []string {
	t.Helper()
	q, err := d.Queue(context.Background(), db.QueueFilter{Search: search})
	if err != nil {
		t.Fatal(err)
	}
	var refs []string
	for _, r := range q.Rows {
		refs = append(refs, r.Ref)
	}
	return refs
}

// TestSealedSearch: sealed reports are found (queue, search, duplicate
// suggestions) only while the key is unlocked, beside unsealed ones from
// the on-disk index, and the words never reach the file.
func TestSealedSearch(t *testing.T) {
	ctx := context.Background()
	d := MustOpenDB(t)
	p, _ := d.DefaultProgram(ctx)
	key := newTeamKey(t)
	plain := validReport(p.ID)
	plain.Title = "Plainword overflow in parser"
	_, err := d.CreateReport(ctx, plain)
	if err != nil {
		t.Fatal(err)
	}
	d.SetSealer(key, true)
	one := validReport(p.ID)
	one.Title, one.Description = "Zebrafish overflow in upload", "The zebrafish handler trusts the length header."
	r1, err := d.CreateReport(ctx, one)
	if err != nil {
		t.Fatal(err)
	}
	two := validReport(p.ID)
	two.Title, two.Description = "Zebrafish upload overflow again", "Same zebrafish length header problem."
	r2, err := d.CreateReport(ctx, two)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("OK", func(t *testing.T) {
		if st, err := d.WaitSealedIndex(ctx); err != nil || st.State != db.SealedIndexReady {
			t.Fatalf("index %+v, %v", st, err)
		}
		if got := queueRefs(t, d, "zebrafish"); len(got) != 2 {
			t.Fatalf("queue search zebrafish = %v, want both sealed reports", got)
		}
		if got := queueRefs(t, d, "overflow"); len(got) != 3 {
			t.Fatalf("queue search overflow = %v, want the plaintext and both sealed reports", got)
		}
		ids, err := d.SearchReports(ctx, "zebrafish", 10)
		if err != nil || len(ids) != 2 {
			t.Fatalf("SearchReports = %v, %v", ids, err)
		}
		r, err := d.ReportByID(ctx, r2.ReportID)
		if err != nil {
			t.Fatal(err)
		}
		sim, err := d.SimilarReports(ctx, r, 5)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, s := range sim {
			found = found || s.ID == r1.ReportID
		}
		if !found {
			t.Fatalf("duplicate suggestions of %s miss %s: %v", r2.Ref, r1.Ref, sim)
		}
		if err := d.Checkpoint(ctx); err != nil {
			t.Fatal(err)
		}
		if fileHas(t, d, "ebrafish") {
			t.Fatal("a word of a sealed report reached the database file")
		}
		if got := d.SealedIndexTempStore(); got != 2 {
			t.Fatalf("in-memory index temp_store = %d, want 2 (MEMORY)", got)
		}
	})
	t.Run("ErrLocked", func(t *testing.T) {
		key.Lock()
		if got := queueRefs(t, d, "zebrafish"); len(got) != 0 {
			t.Fatalf("queue search while locked = %v, want none", got)
		}
		if got := queueRefs(t, d, "plainword"); len(got) != 1 {
			t.Fatalf("queue search of unsealed text while locked = %v, want 1", got)
		}
		if got := d.SealedIndexTempStore(); got != -1 {
			t.Fatal("the in-memory index outlived the lock")
		}
	})
}
