package db_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
)

// plaintextIn lists the files under dir that hold a plain SQLite database or
// the marker: what must never reach a backup's destination.
func plaintextIn(t *testing.T, dir, marker string) []string {
	t.Helper()
	var found []string
	err := filepath.WalkDir(dir, func(path string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		buf, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.HasPrefix(buf, []byte("SQLite format 3")) || bytes.Contains(buf, []byte(marker)) {
			found = append(found, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// plainTemps lists the private plaintext copies left in the data directory.
func plainTemps(t *testing.T, dir string) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, ".disclose-plain-*"))
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// watchingSealer checks, at the moment the backup is being encrypted, that
// its destination holds no plaintext; it can also cancel the run there, as
// an interrupt would.
type watchingSealer struct {
	t       *testing.T
	dest    string
	marker  string
	cancel  context.CancelFunc
	watched int
}

func (s *watchingSealer) SealTo(dst io.Writer) (io.WriteCloser, error) {
	s.watched++
	if found := plaintextIn(s.t, s.dest, s.marker); len(found) > 0 {
		s.t.Errorf("while encrypting, the backup's destination holds plaintext: %v", found)
	}
	if s.cancel != nil {
		s.cancel()
	}
	return xorWriter{dst}, nil
}

// TestEncryptedBackupKeepsPlaintextHome: backup --encrypt made its
// plaintext copy in the destination directory (an off-site mount, say) and
// encrypted it there. The copy is now made in the data directory, and
// nothing of it is left there either, whether the run succeeds, fails or
// is interrupted.
func TestEncryptedBackupKeepsPlaintextHome(t *testing.T) {
	ctx := context.Background()
	const marker = "numbatbackupxq"
	d := MustOpenDB(t)
	p, _ := d.DefaultProgram(ctx)
	mustSubmit(t, d, p.ID, "Report "+marker)
	dataDir := filepath.Dir(d.Path)

	t.Run("OK", func(t *testing.T) {
		dest := t.TempDir()
		s := &watchingSealer{t: t, dest: dest, marker: marker}
		file := filepath.Join(dest, "b.db.pgp")
		if err := d.Backup(ctx, file, s); err != nil {
			t.Fatal(err)
		}
		if s.watched != 1 {
			t.Fatalf("the sealer was asked %d times", s.watched)
		}
		if found := plaintextIn(t, dest, marker); len(found) > 0 {
			t.Errorf("the destination holds plaintext: %v", found)
		}
		if entries, _ := os.ReadDir(dest); len(entries) != 1 {
			t.Errorf("the destination holds %d files, want only the backup", len(entries))
		}
		if left := plainTemps(t, dataDir); len(left) > 0 {
			t.Errorf("plaintext copies left in the data directory: %v", left)
		}
	})
	t.Run("Interrupted", func(t *testing.T) {
		dest := t.TempDir()
		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		s := &watchingSealer{t: t, dest: dest, marker: marker, cancel: cancel}
		if err := d.Backup(cctx, filepath.Join(dest, "b.db.pgp"), s); !errors.Is(err, context.Canceled) {
			t.Fatalf("interrupted backup: err = %v, want canceled", err)
		}
		if entries, _ := os.ReadDir(dest); len(entries) != 0 {
			t.Errorf("an interrupted backup left %d files in the destination", len(entries))
		}
		if left := plainTemps(t, dataDir); len(left) > 0 {
			t.Errorf("an interrupted backup left plaintext in the data directory: %v", left)
		}
	})
	t.Run("InterruptedBeforeCopy", func(t *testing.T) {
		dest := t.TempDir()
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if err := d.Backup(cctx, filepath.Join(dest, "b.db.pgp"), &watchingSealer{t: t, dest: dest, marker: marker}); err == nil {
			t.Fatal("a cancelled backup succeeded")
		}
		if entries, _ := os.ReadDir(dest); len(entries) != 0 {
			t.Errorf("a cancelled backup left %d files in the destination", len(entries))
		}
		if left := plainTemps(t, dataDir); len(left) > 0 {
			t.Errorf("a cancelled backup left plaintext in the data directory: %v", left)
		}
	})
	t.Run("SweepsKilledRuns", func(t *testing.T) {
		// What a run killed while copying leaves; the next run removes it
		// once it is clearly no run's live file.
		stale := filepath.Join(dataDir, ".disclose-plain-killed")
		fresh := filepath.Join(dataDir, ".disclose-plain-running")
		for _, f := range []string{stale, fresh} {
			if err := os.WriteFile(f, []byte("SQLite format 3\x00"+marker), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		old := time.Now().Add(-2 * time.Hour)
		os.Chtimes(stale, old, old)
		if err := d.Backup(ctx, filepath.Join(t.TempDir(), "b.db.pgp"), xorSealer{}); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("a killed run's plaintext copy is still there: %v", err)
		}
		if _, err := os.Stat(fresh); err != nil {
			t.Errorf("a running copy was removed: %v", err)
		}
		os.Remove(fresh)
	})
}

// TestVerifyAndRestoreFromStream: an encrypted backup is verified and
// restored from its decrypted stream, written only into the given local
// directory and the data directory it restores; a failure or an interrupt
// leaves neither holding plaintext.
func TestVerifyAndRestoreFromStream(t *testing.T) {
	ctx := context.Background()
	const marker = "quollrestorexq"
	d := MustOpenDB(t)
	p, _ := d.DefaultProgram(ctx)
	mustSubmit(t, d, p.ID, "Report "+marker)
	plain := filepath.Join(t.TempDir(), "plain.db")
	if err := d.Backup(ctx, plain, nil); err != nil {
		t.Fatal(err)
	}
	buf, err := os.ReadFile(plain)
	if err != nil {
		t.Fatal(err)
	}
	localKey := filepath.Join(filepath.Dir(d.Path), db.LocalKeyFile)

	t.Run("Verify", func(t *testing.T) {
		tmp := t.TempDir()
		info, err := db.VerifyBackupFrom(ctx, bytes.NewReader(buf), tmp)
		if err != nil || info.Reports != 1 {
			t.Fatalf("verify = %+v, %v", info, err)
		}
		if left := plainTemps(t, tmp); len(left) > 0 {
			t.Errorf("verify left %v", left)
		}
		if _, err := db.VerifyBackupFrom(ctx, strings.NewReader("not a database"), tmp); err == nil {
			t.Error("junk verified")
		}
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := db.VerifyBackupFrom(cctx, bytes.NewReader(buf), tmp); !errors.Is(err, context.Canceled) {
			t.Errorf("interrupted verify: %v", err)
		}
		if left := plainTemps(t, tmp); len(left) > 0 {
			t.Errorf("failed verifies left %v", left)
		}
	})
	t.Run("Restore", func(t *testing.T) {
		data := filepath.Join(t.TempDir(), "data")
		info, err := db.RestoreFrom(ctx, bytes.NewReader(buf), data, "disclose.db", localKey)
		if err != nil || info.Reports != 1 {
			t.Fatalf("restore = %+v, %v", info, err)
		}
		entries, _ := os.ReadDir(data)
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		if got, want := strings.Join(names, " "), "disclose.db "+db.LocalKeyFile; got != want {
			t.Errorf("restored data directory holds %q, want %q", got, want)
		}
	})
	for name, tc := range map[string]struct {
		src      io.Reader
		localKey string
		cancel   bool
	}{
		"ErrNoLocalKey":   {bytes.NewReader(buf), "", false},
		"ErrWrongKey":     {bytes.NewReader(buf), writeOtherKey(t), false},
		"ErrJunk":         {strings.NewReader("SQLite format 3\x00 but no more"), localKey, false},
		"ErrInterrupted":  {bytes.NewReader(buf), localKey, true},
		"ErrFailedStream": {io.MultiReader(bytes.NewReader(buf[:4096]), failingReader{}), localKey, false},
	} {
		t.Run(name, func(t *testing.T) {
			data := filepath.Join(t.TempDir(), "data")
			cctx, cancel := context.WithCancel(ctx)
			if tc.cancel {
				cancel()
			}
			defer cancel()
			if _, err := db.RestoreFrom(cctx, tc.src, data, "disclose.db", tc.localKey); err == nil {
				t.Fatal("restore succeeded")
			}
			if entries, _ := os.ReadDir(data); len(entries) != 0 {
				t.Errorf("a failed restore left %d files in the data directory (%s)", len(entries), entries[0].Name())
			}
		})
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("decryption failed: bad MDC") }

// writeOtherKey makes a local key file that is not the backup's.
func writeOtherKey(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), db.LocalKeyFile)
	if _, err := db.LoadLocalKey(path, true); err != nil {
		t.Fatal(err)
	}
	return path
}
