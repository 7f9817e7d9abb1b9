package db_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
)

// TestBackupUnderLoad takes a backup while writers keep submitting, restores
// it into an empty directory and finds every report committed before the
// backup started, and a consistent snapshot (audit chain intact, one audit
// row per stored report).
func TestBackupUnderLoad(t *testing.T) {
	ctx := context.Background()
	d := MustOpenDB(t)
	p, _ := d.DefaultProgram(ctx)
	var (
		mu        sync.Mutex
		committed []string
		stop      atomic.Bool
		wg        sync.WaitGroup
		enough    = make(chan struct{})
		once      sync.Once
	)
	writer := func() {
		defer wg.Done()
		for !stop.Load() {
			rc, err := d.CreateReport(ctx, validReport(p.ID))
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			committed = append(committed, rc.Ref)
			if len(committed) == 50 {
				once.Do(func() { close(enough) })
			}
			mu.Unlock()
		}
	}
	for range 4 {
		wg.Add(1)
		go writer()
	}
	select {
	case <-enough:
	case <-time.After(time.Minute): // a bound, not a synchronisation
		t.Fatal("writers committed fewer than 50 reports in a minute")
	}
	mu.Lock()
	before := append([]string(nil), committed...)
	mu.Unlock()
	file := filepath.Join(t.TempDir(), "backup.db")
	if err := d.Backup(ctx, file, nil); err != nil {
		t.Fatal(err)
	}
	stop.Store(true)
	wg.Wait()
	if len(before) < 50 {
		t.Fatalf("only %d reports before the backup", len(before))
	}

	info, err := db.VerifyBackup(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	if info.Reports < len(before) || info.Reports > len(committed) {
		t.Fatalf("backup holds %d reports; %d committed before it, %d in all", info.Reports, len(before), len(committed))
	}
	if len(info.Missing) != 0 || len(info.Unknown) != 0 {
		t.Fatalf("migrations missing %v unknown %v", info.Missing, info.Unknown)
	}

	dataDir := filepath.Join(t.TempDir(), "restored")
	localKey := filepath.Join(filepath.Dir(d.Path), db.LocalKeyFile)
	if _, err := db.Restore(ctx, file, t.TempDir()+"/nokey", "disclose.db", ""); db.ErrorCode(err) != db.EINVALID {
		t.Fatalf("restore without the local key file: %v", err)
	}
	if _, err := db.Restore(ctx, file, dataDir, "disclose.db", localKey); err != nil {
		t.Fatal(err)
	}
	r, err := db.Open(ctx, filepath.Join(dataDir, "disclose.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, ref := range before {
		if _, err := r.ReportByRef(ctx, ref); err != nil {
			t.Fatalf("%s committed before the backup, missing after restore: %v", ref, err)
		}
	}
	n, _ := r.CountReports(ctx)
	actions, _ := r.AuditActions(ctx)
	if got, want := actions["report.submit"], int(n); got != want {
		t.Fatalf("restored snapshot has %d submit audit rows for %d reports", got, want)
	}
	if bad, err := r.VerifyAudit(ctx); err != nil || bad != 0 {
		t.Fatalf("audit chain broken at %d: %v", bad, err)
	}
}

func TestBackup(t *testing.T) {
	ctx := context.Background()
	d := MustOpenDB(t)
	p, _ := d.DefaultProgram(ctx)
	mustSubmit(t, d, p.ID, "One")
	dir := t.TempDir()
	file := filepath.Join(dir, "b.db")
	if err := d.Backup(ctx, file, nil); err != nil {
		t.Fatal(err)
	}
	t.Run("ErrExists", func(t *testing.T) {
		if err := d.Backup(ctx, file, nil); err == nil {
			t.Fatal("a second backup overwrote the first")
		}
	})
	t.Run("ErrRestoreIntoNonEmpty", func(t *testing.T) {
		full := t.TempDir()
		os.WriteFile(filepath.Join(full, "disclose.db"), []byte("live"), 0o600)
		_, err := db.Restore(ctx, file, full, "disclose.db", "")
		if db.ErrorCode(err) != db.ECONFLICT {
			t.Fatalf("err=%v, want conflict", err)
		}
		if buf, _ := os.ReadFile(filepath.Join(full, "disclose.db")); string(buf) != "live" {
			t.Fatal("restore overwrote a live database")
		}
	})
	t.Run("ErrCorrupt", func(t *testing.T) {
		buf, _ := os.ReadFile(file)
		// Damage the b-tree header of every page after the first; the file
		// header stays, so it still looks like SQLite.
		pageSize := int(buf[16])<<8 | int(buf[17])
		for off := pageSize; off+8 < len(buf); off += pageSize {
			for i := off; i < off+8; i++ {
				buf[i] ^= 0xa5
			}
		}
		bad := filepath.Join(dir, "bad.db")
		os.WriteFile(bad, buf, 0o600)
		if _, err := db.VerifyBackup(ctx, bad); err == nil {
			t.Fatal("a damaged backup verified")
		}
	})
	t.Run("Sealed", func(t *testing.T) {
		sealed := filepath.Join(dir, "sealed.db")
		if err := d.Backup(ctx, sealed, xorSealer{}); err != nil {
			t.Fatal(err)
		}
		buf, _ := os.ReadFile(sealed)
		if bytes.Contains(buf, []byte("SQLite format 3")) {
			t.Fatal("sealed backup is plain SQLite")
		}
		if _, err := db.VerifyBackup(ctx, sealed); !errors.Is(err, db.ErrSealedBackup) {
			t.Fatalf("err=%v, want ErrSealedBackup", err)
		}
	})
}

// xorSealer stands in for the OpenPGP sealer (not built yet): it only has to
// transform the stream.
type xorSealer struct{}

func (xorSealer) SealTo(dst io.Writer) (io.WriteCloser, error) { return xorWriter{dst}, nil }

type xorWriter struct{ w io.Writer }

func (x xorWriter) Write(p []byte) (int, error) {
	q := make([]byte, len(p))
	for i, b := range p {
		q[i] = b ^ 0x5a
	}
	return x.w.Write(q)
}
func (xorWriter) Close() error { return nil }
