package db_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin/pgp"
)

// sealedDB opens a database sealing with a fresh team key (unlocked) and
// submits n sealed reports; report i has the title "Sealedmarker report i"
// and the word zebrafish in its description.
func sealedDB(t *testing.T, n int) (*db.DB, *pgp.TeamKey) {
	t.Helper()
	ctx := context.Background()
	d := MustOpenDB(t)
	key := newTeamKey(t)
	d.SetSealer(key, true)
	p, _ := d.DefaultProgram(ctx)
	for i := range n {
		in := validReport(p.ID)
		in.Attachments = nil
		in.Title = fmt.Sprintf("Sealedmarker report %d", i)
		in.Description = "The zebrafish handler trusts the length header."
		if _, err := d.CreateReport(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	return d, key
}

// searchQueue runs a queue search of every state and returns the refs and
// which sealed reports the search could see.
func searchQueue(t *testing.T, d *db.DB, q string) ([]string, db.SealedCoverage) {
	t.Helper()
	res, err := d.Queue(context.Background(), db.QueueFilter{Search: q})
	if err != nil {
		t.Fatal(err)
	}
	var refs []string
	for _, r := range res.Rows {
		refs = append(refs, r.Ref)
	}
	return refs, res.Sealed
}

// The index of sealed reports is built in the background: its progress can
// be read while it runs, a search meanwhile answers at once from what is
// indexed and says it is incomplete, and the finished index finds all.
func TestSealedIndexBuildsInBackground(t *testing.T) {
	ctx := context.Background()
	d, _ := sealedDB(t, 30)
	paused, resume := make(chan struct{}), make(chan struct{})
	chunks := 0
	d.SlowSealedIndexForTest(10, func() {
		chunks++
		if chunks == 1 {
			paused <- struct{}{}
			<-resume
		}
	})
	if st := d.SealedIndex(); st.State != db.SealedIndexOff {
		t.Fatalf("before the build: %+v", st)
	}
	d.StartSealedIndex()
	<-paused

	st := d.SealedIndex()
	if st.State != db.SealedIndexBuilding || st.Done != 10 || st.Total != 30 {
		t.Fatalf("during the build: %+v, want building 10 of 30", st)
	}
	refs, cov := searchQueue(t, d, "zebrafish")
	if cov != db.SealedPartial || len(refs) != 10 {
		t.Fatalf("search during the build = %d reports, coverage %q; want the 10 indexed so far, partial", len(refs), cov)
	}
	close(resume)
	if st, err := d.WaitSealedIndex(ctx); err != nil || st.State != db.SealedIndexReady || st.Done != 30 || st.Unreadable != 0 {
		t.Fatalf("after the build: %+v, %v", st, err)
	}
	q, err := d.Queue(ctx, db.QueueFilter{Search: "zebrafish", Page: 1})
	if err != nil {
		t.Fatal(err)
	}
	if q.Sealed != db.SealedCovered || len(q.Rows) != 30 {
		t.Fatalf("search after the build = %d reports, coverage %q; want 30, complete", len(q.Rows), q.Sealed)
	}
	if !strings.HasPrefix(q.Rows[0].Title, "Sealedmarker report 29") {
		t.Fatalf("newest first: %q", q.Rows[0].Title)
	}
}

// Locking drops the index at once and stops a build in progress: nothing
// it was doing comes back, and searches say sealed reports were not looked at.
func TestSealedIndexLockStopsBuild(t *testing.T) {
	ctx := context.Background()
	d, key := sealedDB(t, 30)
	paused, resume := make(chan struct{}), make(chan struct{})
	first := true
	d.SlowSealedIndexForTest(10, func() {
		if first {
			first = false
			paused <- struct{}{}
			<-resume
		}
	})
	d.StartSealedIndex()
	<-paused
	key.Lock()
	d.DropSealedIndex() // what the dashboard's lock does (cmd/disclose)
	if st := d.SealedIndex(); st.State != db.SealedIndexOff || st.Done != 0 {
		t.Fatalf("after the lock: %+v", st)
	}
	if got := d.SealedIndexTempStore(); got != -1 {
		t.Fatal("the in-memory index outlived the lock")
	}
	close(resume)
	// The stopped build must not bring an index back; Close waits for it.
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if st := d.SealedIndex(); st.State != db.SealedIndexOff || d.SealedIndexTempStore() != -1 {
		t.Fatalf("after the stopped build ended: %+v", st)
	}
	_ = ctx
}

// The index follows what another process writes to the same file (mailin
// --once from cron seals the mail it stores): new reports, edits of their
// searchable text and deletions by retention, at the next search.
func TestSealedIndexFollowsOtherProcess(t *testing.T) {
	ctx := context.Background()
	d, key := sealedDB(t, 3)
	if st, err := d.WaitSealedIndex(ctx); err != nil || st.State != db.SealedIndexReady {
		t.Fatalf("%+v, %v", st, err)
	}
	// The other process: its own handle on the file, sealing with the
	// public key only (cron has no passphrase).
	keyFile := filepath.Join(t.TempDir(), pgp.KeyFile)
	if err := key.Save(keyFile); err != nil {
		t.Fatal(err)
	}
	pub, err := pgp.LoadTeamKey(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	other, err := db.Open(ctx, d.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	other.SetSealer(pub, true)
	p, _ := other.DefaultProgram(ctx)
	in := validReport(p.ID)
	in.Title, in.Asset = "Okapi overflow", "okapi.example.org"
	rc, err := other.CreateReport(ctx, in)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("NewReport", func(t *testing.T) {
		refs, cov := searchQueue(t, d, "okapi")
		if len(refs) != 1 || cov != db.SealedCovered {
			t.Fatalf("search okapi = %v (%q), want the report the other process stored", refs, cov)
		}
	})
	t.Run("Edit", func(t *testing.T) {
		// The edit needs the plaintext: the other process has the key.
		if err := pub.Unlock([]byte(sealPassphrase)); err != nil {
			t.Fatal(err)
		}
		r, err := other.ReportByID(ctx, rc.ReportID)
		if err != nil {
			t.Fatal(err)
		}
		if err := other.EditFields(ctx, r.ID, r.Version, db.ActorSystem, db.FieldEdit{Asset: "quagga.example.org", CWE: r.CWE, CVSSVector: r.CVSSVector}); err != nil {
			t.Fatal(err)
		}
		if refs, _ := searchQueue(t, d, "quagga"); len(refs) != 1 {
			t.Fatalf("search of the new asset = %v, want the edited report", refs)
		}
		if refs, _ := searchQueue(t, d, "okapi.example.org"); len(refs) != 0 {
			t.Fatalf("search of the old asset = %v, want none", refs)
		}
	})
	t.Run("Retention", func(t *testing.T) {
		clk := &clock{t: time.Now().UTC()}
		other.Now = clk.Now
		if err := other.SetRetentionRule(ctx, &db.RetentionRule{ProgramID: p.ID, SpamDeleteDays: 1}, db.ActorSystem); err != nil {
			t.Fatal(err)
		}
		mustMove(t, other, rc.ReportID, db.StateNew, db.StateSpam)
		clk.Advance(2 * day)
		if _, err := other.Purge(ctx, false, nil); err != nil {
			t.Fatal(err)
		}
		if refs, cov := searchQueue(t, d, "okapi"); len(refs) != 0 || cov != db.SealedCovered {
			t.Fatalf("search after the purge = %v (%q), want none", refs, cov)
		}
		if ids, _ := d.SearchReports(ctx, "quagga", 10); len(ids) != 0 {
			t.Fatalf("SearchReports after the purge = %v", ids)
		}
	})
}

// The index keeps no plaintext on disk: not in the database file, its WAL
// or shared memory, nor in a temporary file.
func TestSealedIndexNoPlaintextOnDisk(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	t.Setenv("SQLITE_TMPDIR", tmp)
	ctx := context.Background()
	d, _ := sealedDB(t, 40)
	if st, err := d.WaitSealedIndex(ctx); err != nil || st.State != db.SealedIndexReady {
		t.Fatalf("%+v, %v", st, err)
	}
	for _, sort := range []db.QueueSort{db.SortNewest, db.SortOldest, db.SortRelevance, db.SortSeverity} {
		if q, err := d.Queue(ctx, db.QueueFilter{Search: "sealedmarker zebrafish", Sort: sort}); err != nil || len(q.Rows) != 40 {
			t.Fatalf("search by %s: %v", sort, err)
		}
	}
	if err := d.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{filepath.Dir(d.Path), tmp} {
		err := filepath.Walk(dir, func(path string, fi os.FileInfo, err error) error {
			if err != nil || fi.IsDir() {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for _, w := range []string{"ealedmarker", "ebrafish"} {
				if strings.Contains(string(b), w) {
					t.Errorf("%s holds %q", path, w)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
