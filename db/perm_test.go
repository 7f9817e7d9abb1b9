package db_test

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/disclose/disclose/db"
)

// withUmask022 runs the test under the common default umask, so that a file
// left to SQLite's defaults shows up as readable by everyone.
func withUmask022(t *testing.T) {
	old := syscall.Umask(0o022)
	t.Cleanup(func() { syscall.Umask(old) })
}

func checkPrivate(t *testing.T, path string) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got&0o077 != 0 {
		t.Errorf("%s has mode %v, want no access for group and others", filepath.Base(path), got)
	}
}

// TestFilesArePrivate: the database holds TOTP secrets, session and
// receipt hashes, the status-cookie key, reporter addresses and report
// text. SQLite creates files 0644, so a backup written to /var/backups or a
// data dir made by a service manager with 0755 was readable by every local
// user.
func TestFilesArePrivate(t *testing.T) {
	withUmask022(t)
	ctx := context.Background()
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	d, err := db.Open(ctx, filepath.Join(dir, "disclose.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	p, _ := d.DefaultProgram(ctx)
	if _, err := d.CreateReport(ctx, validReport(p.ID)); err != nil {
		t.Fatal(err)
	}
	t.Run("OK database", func(t *testing.T) {
		for _, name := range []string{"disclose.db", "disclose.db-wal", "disclose.db-shm"} {
			checkPrivate(t, filepath.Join(dir, name))
		}
	})
	t.Run("OK backup", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "backup.db")
		if err := d.Backup(ctx, out, nil); err != nil {
			t.Fatal(err)
		}
		checkPrivate(t, out)
		if _, err := db.VerifyBackup(ctx, out); err != nil {
			t.Fatal(err)
		}
	})
}
