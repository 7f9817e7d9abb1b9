package db

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Restore copies a backup file into dataDir as the database at dbName (see
// RestoreFrom).
func Restore(ctx context.Context, backup, dataDir, dbName, localKey string) (*BackupInfo, error) {
	if err := checkHeader(backup); err != nil {
		return nil, err
	}
	f, err := os.Open(backup)
	if err != nil {
		return nil, fmt.Errorf("db: restore: %w", err)
	}
	defer f.Close()
	return RestoreFrom(ctx, f, dataDir, dbName, localKey)
}

// RestoreFrom writes the backup read from src (a file, or the plaintext of
// an encrypted backup as it is decrypted) into dataDir as the database at
// dbName, verifies that copy, and adds the local key file it was made with
// (localKey, checked against the backup; "" when the backup needs none).
// The copy is made in dataDir itself, never beside the backup: for an
// encrypted backup that is the only plaintext there is. dataDir must be
// empty or missing: restoring over a live portal's data would mix two
// histories, so that is refused rather than guessed at. On any failure
// dataDir is left as empty as it was found.
func RestoreFrom(ctx context.Context, src io.Reader, dataDir, dbName, localKey string) (_ *BackupInfo, err error) {
	entries, err := os.ReadDir(dataDir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(dataDir, 0o700); err != nil {
			return nil, fmt.Errorf("db: restore: create %s: %w", dataDir, err)
		}
	case err != nil:
		return nil, fmt.Errorf("db: restore: read %s: %w", dataDir, err)
	case len(entries) > 0:
		return nil, Errorf(ECONFLICT, "%s is not empty (it holds %s): restore only into an empty data directory; move the old one aside first", dataDir, entries[0].Name())
	}
	dst := filepath.Join(dataDir, dbName)
	partial := dst + ".restoring"
	keyDst := filepath.Join(dataDir, LocalKeyFile)
	defer func() {
		if err != nil {
			os.Remove(partial)
			os.Remove(keyDst)
		}
	}()
	if err := writeNew(ctx, partial, src); err != nil {
		return nil, err
	}
	info, err := VerifyBackup(ctx, partial)
	if err != nil {
		return nil, err
	}
	if len(info.Unknown) > 0 {
		return nil, fmt.Errorf("db: the backup was made by a newer disclose (migration %s); restore it with that version", info.Unknown[0])
	}
	if info.NeedsLocalKey {
		if localKey == "" {
			return nil, Errorf(EINVALID, "The backup's secrets are sealed with the local key file (%s) of the portal that made it, which backups do not hold: give that file too.", LocalKeyFile)
		}
		k, err := LoadLocalKey(localKey, false)
		if err != nil {
			return nil, err
		}
		if subtle.ConstantTimeCompare([]byte(k.checkValue()), []byte(info.localKeyCheck)) != 1 {
			return nil, Errorf(EINVALID, "%s is not the local key file of the portal that made this backup.", localKey)
		}
		in, err := os.Open(localKey)
		if err != nil {
			return nil, fmt.Errorf("db: restore: %w", err)
		}
		err = writeNew(ctx, keyDst, in)
		in.Close()
		if err != nil {
			return nil, err
		}
	}
	if err := os.Rename(partial, dst); err != nil {
		return nil, fmt.Errorf("db: restore: %w", err)
	}
	return info, syncDir(dataDir)
}

// writeNew writes src into a new file (0600) at dst and syncs it; it stops
// when ctx is cancelled, and leaves no file behind when it fails.
func writeNew(ctx context.Context, dst string, src io.Reader) error {
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("db: restore: %w", err)
	}
	_, err = io.Copy(out, ctxReader{ctx, src})
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(dst)
		return fmt.Errorf("db: restore: write %s: %w", filepath.Base(dst), err)
	}
	return nil
}
