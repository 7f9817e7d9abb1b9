package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/disclose/disclose/mailin/pgp"
)

// backupKeyFlags are the settings that encrypt and decrypt backups.
type backupKeyFlags struct {
	encrypt    bool
	keyFile    string
	passphrase string
}

// teamKeyFor loads the team key of a backup: the key file named, or the one
// in the data directory.
func (b *backupKeyFlags) teamKeyFor(dataDir string) (*pgp.TeamKey, error) {
	path := b.keyFile
	if path == "" {
		path = filepath.Join(dataDir, pgp.KeyFile)
	}
	k, err := pgp.LoadTeamKey(path)
	if err != nil {
		return nil, err
	} else if k == nil {
		return nil, fmt.Errorf("no team key at %s: give the key file of the portal that made the backup with --key", path)
	}
	return k, nil
}

// decryptBackup decrypts an encrypted backup into a private temporary
// directory beside dir and returns the plain file and its cleanup.
func (b *backupKeyFlags) decryptBackup(file, keyDir, dir string) (string, func(), error) {
	k, err := b.teamKeyFor(keyDir)
	if err != nil {
		return "", nil, err
	}
	if b.passphrase == "" {
		return "", nil, errors.New("the backup is encrypted: give the team key's passphrase with DISCLOSE_KEY_PASSPHRASE_FILE")
	}
	if err := k.Unlock([]byte(b.passphrase)); err != nil {
		return "", nil, err
	}
	defer k.Lock()
	src, err := os.Open(file)
	if err != nil {
		return "", nil, err
	}
	defer src.Close()
	plain, err := k.OpenFrom(src)
	if err != nil {
		return "", nil, fmt.Errorf("decrypt %s: %w", file, err)
	}
	tmpDir, err := os.MkdirTemp(dir, ".disclose-restore-")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { os.RemoveAll(tmpDir) }
	out := filepath.Join(tmpDir, "backup.db")
	f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		cleanup()
		return "", nil, err
	}
	_, err = io.Copy(f, plain)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		cleanup()
		return "", nil, fmt.Errorf("decrypt %s: %w", file, err)
	}
	return out, cleanup, nil
}

// copyKeyFile puts the team key file into a restored data directory (0600),
// unless one is there already.
func copyKeyFile(src, dst string) error {
	if _, err := os.Stat(dst); err == nil {
		return nil
	}
	buf, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, buf, 0o600)
}
