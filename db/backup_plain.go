package db

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// An encrypted backup exists so that its destination (an off-site mount, a
// bucket) never sees the reports. Its plaintext is therefore only ever
// written to a private temporary file in a local directory of the portal's
// own (the data directory, which holds the live database anyway): the copy
// being encrypted, and an encrypted backup being verified.

// plainTempPrefix starts the names of those files, so a later run can find
// the ones a killed run left behind.
const plainTempPrefix = ".disclose-plain-"

// stalePlainAge is the age after which such a file is taken to be left
// behind: a running copy writes its file continuously, and no run takes
// this long between writing it and removing it.
const stalePlainAge = time.Hour

// createPlainTemp creates an empty private file (mode 0600) in dir for a
// plaintext copy of a database, after removing the ones killed runs left.
func createPlainTemp(dir string) (*os.File, error) {
	sweepPlainTemps(dir, time.Now())
	f, err := os.CreateTemp(dir, plainTempPrefix+"*")
	if err != nil {
		return nil, fmt.Errorf("db: private temporary file in %s: %w", dir, err)
	}
	return f, nil
}

// sweepPlainTemps removes plaintext copies older than stalePlainAge from
// dir; it is best effort, and a file it cannot remove is tried next time.
func sweepPlainTemps(dir string, now time.Time) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), plainTempPrefix) || !e.Type().IsRegular() {
			continue
		}
		if info, err := e.Info(); err == nil && now.Sub(info.ModTime()) > stalePlainAge {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// backupSealed writes the encrypted backup into out and closes it. The
// plaintext copy VACUUM INTO makes goes to a private temporary file in the
// data directory, which is unlinked as soon as it is complete and read
// through its open descriptor: from then on a crash leaves nothing behind,
// and an interrupt (ctx) or an error removes it too. Only ciphertext is
// written to out.
func (db *DB) backupSealed(ctx context.Context, out *os.File, sealer BackupSealer) error {
	defer out.Close()
	tmp, err := createPlainTemp(filepath.Dir(db.Path))
	if err != nil {
		return err
	}
	name := tmp.Name()
	tmp.Close() // VACUUM INTO fills the empty file and keeps its mode
	defer os.Remove(name)
	if err := db.vacuumInto(ctx, name); err != nil {
		return err
	}
	plain, err := os.Open(name)
	if err != nil {
		return err
	}
	defer plain.Close()
	if err := os.Remove(name); err != nil {
		return err
	}
	w, err := sealer.SealTo(out)
	if err != nil {
		return fmt.Errorf("encrypt: %w", err)
	}
	if _, err := io.Copy(w, ctxReader{ctx, plain}); err != nil {
		w.Close()
		return fmt.Errorf("encrypt: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("encrypt: %w", err)
	}
	return out.Close()
}

// VerifyBackupFrom verifies a backup read from src (the plaintext of an
// encrypted backup as it is decrypted): it is written to a private
// temporary file in dir, a local directory of the portal's own such as the
// data directory (never beside the backup), checked there and removed,
// also when ctx is cancelled.
func VerifyBackupFrom(ctx context.Context, src io.Reader, dir string) (*BackupInfo, error) {
	tmp, err := createPlainTemp(dir)
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	_, err = io.Copy(tmp, ctxReader{ctx, src})
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("db: copy the backup to verify it: %w", err)
	}
	return VerifyBackup(ctx, tmp.Name())
}

// ctxReader stops a copy when its context is cancelled (an interrupt), so
// that the caller's cleanup runs.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
